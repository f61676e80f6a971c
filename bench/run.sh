#!/usr/bin/env bash
# make bench: the ingest, the query stage and disclosure control. Ingest: a scale-10 delivery (about 300,000 Orders and 20
# million drug tests) ingested by dtto and, in the same run, loaded plainly by
# DuckDB. Installs DuckDB from PyPI into a private virtualenv.
# DTTO=path/to/dtto runs a binary built elsewhere (default: this tree's
# release build, $CARGO_TARGET_DIR/release/dtto).
set -euo pipefail
cd "$(dirname "$0")/.."
target="${CARGO_TARGET_DIR:-target}"
dtto="${DTTO:-$target/release/dtto}"
if [ ! -x "$dtto" ]; then
  echo "no dtto binary at $dtto (make build, or set DTTO)" >&2
  exit 1
fi
work=bench/work
venv=.bench-venv

if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet "duckdb>=1.1"
fi

source bench/generated.sh
delivery="$work/scale10"
generated "$dtto" 10 "$delivery"
# The same delivery with its drug tests in random order: keys that do not
# arrive sorted are checked for repeats after the load, and the drug tests'
# Orders are looked up in random order.
shuffled="$work/scale10-shuffled"
if [ ! -f "$shuffled/extract.toml" ] || [ "$shuffled/extract.toml" -ot "$delivery/extract.toml" ]; then
  mkdir -p "$shuffled"
  cp "$delivery"/*.csv "$shuffled"/
  { head -n 1 "$delivery/drug_tests.csv"
    tail -n +2 "$delivery/drug_tests.csv" | shuf --random-source=<(yes); } > "$shuffled/drug_tests.csv"
  cp "$delivery/extract.toml" "$shuffled/"
fi
sync
"$venv/bin/python" bench/ingest.py "$dtto" "$delivery" "$shuffled" "$work"
"$venv/bin/python" bench/queries.py "$dtto" "$delivery" "$work" 2005Q1
bash bench/disclosure.sh "$dtto" "$work" "$delivery"
