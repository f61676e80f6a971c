# The two commands that do everything: `make run` and `make test`.
# One build profile (release) serves tests, runs and benchmarks, and one
# feature resolution (Cargo.toml), so the heavy dependencies are compiled
# once whichever of the two comes first.

CARGO ?= cargo
# `DTTO=path/to/dtto make bench`: benchmark a binary built elsewhere, with
# no build (taken before DTTO is set below).
BENCH_DTTO := $(if $(filter environment command,$(origin DTTO)),$(DTTO))
DTTO := target/release/dtto
ifdef CARGO_TARGET_DIR
DTTO := $(CARGO_TARGET_DIR)/release/dtto
endif
# The synthetic-delivery generator: a development tool beside the product.
FIXTURES := $(dir $(DTTO))dtto-fixtures

# The bundled default extract: generated deterministically on first use.
DEFAULT_EXTRACT := fixtures/default
DEFAULT_SEED := 1
DEFAULT_SCALE := 1
DEFAULT_AS_AT := 2005-03-31
# And the delivery a quarter later of the same population, which adds what
# came after, records of before that were recorded late, and corrections.
LATER_EXTRACT := fixtures/default-later
LATER_AS_AT := 2005-06-30

.PHONY: run test lint bench bench-100 build fixtures clean test-tools check-glibc

# Only what `make run` and `make bench` run: the dtto binary, and the
# generator that makes the bundled extract.
build:
	$(CARGO) build --release --bin dtto --bin dtto-fixtures

# Regenerated when the generator changes, so the bundled story stays current.
$(DEFAULT_EXTRACT)/extract.toml: $(wildcard pipeline/crates/fixtures/src/*.rs) | build
	$(FIXTURES) --seed $(DEFAULT_SEED) --scale $(DEFAULT_SCALE) --as-at $(DEFAULT_AS_AT) $(DEFAULT_EXTRACT)

$(LATER_EXTRACT)/extract.toml: $(wildcard pipeline/crates/fixtures/src/*.rs) | build
	$(FIXTURES) --seed $(DEFAULT_SEED) --scale $(DEFAULT_SCALE) --as-at $(LATER_AS_AT) --after $(DEFAULT_AS_AT) $(LATER_EXTRACT)

fixtures: build $(DEFAULT_EXTRACT)/extract.toml $(LATER_EXTRACT)/extract.toml

# Both editions, the earlier first: 2005Q1 from the default extract, then
# 2005Q2 from the one a quarter later, which revises what 2005Q1 showed.
# Then the example request (requests/pq-2005-0142/) answered from 2005Q2,
# as a draft: released answers go into the register by hand (README).
run: build $(DEFAULT_EXTRACT)/extract.toml $(LATER_EXTRACT)/extract.toml
	$(DTTO) run --extract $(DEFAULT_EXTRACT)
	$(DTTO) run --extract $(LATER_EXTRACT)
	$(DTTO) answer pq-2005-0142

# The publication tests read the PDF with poppler and run axe-core in
# Chromium: got on first use, as root by apt-get, otherwise into
# ~/.cache/dtto/tools without root; it says which tests cannot run for want
# of what it could not get, and how to get it.
test-tools:
	bash .ci/test-tools

# What test-tools got without root is in its bin/, put last on PATH. A test
# whose tool is missing all the same says NOT CHECKED and checks nothing
# (not under CI=true, where it fails): cargo counts it as passed, so those
# are listed again after cargo's summary.
test: test-tools
	@notes="$$(mktemp)"; \
	echo "$(CARGO) test --release --workspace"; \
	PATH="$$PATH:$${DTTO_TOOLS:-$$HOME/.cache/dtto/tools}/bin" DTTO_NOT_CHECKED="$$notes" \
		$(CARGO) test --release --workspace; status=$$?; \
	if [ -s "$$notes" ]; then \
		echo; echo "$$(wc -l < "$$notes") test(s) checked nothing, for want of a tool (how to get each: bash .ci/test-tools):"; \
		cat "$$notes"; \
	fi; \
	rm -f "$$notes"; exit $$status

# The binary must start on glibc 2.34 (RHEL 9) and later: fails naming
# the symbols that would need more.
check-glibc: build
	bash .ci/check-glibc $(DTTO) 2.34

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --release --workspace --all-targets -- -D warnings

bench: $(if $(BENCH_DTTO),,build)
	DTTO=$(or $(BENCH_DTTO),$(DTTO)) bash bench/run.sh

# Scale 100 in bounded memory: rows/s and peak RSS of ingest and run. Not in
# CI (13 GB of generated CSV).
bench-100: $(if $(BENCH_DTTO),,build)
	bash bench/scale100.sh $(or $(BENCH_DTTO),$(DTTO))

clean:
	rm -rf output warehouse $(DEFAULT_EXTRACT) $(LATER_EXTRACT)
