#!/usr/bin/env bash
# make bench-100: a scale-100 delivery (about 3 million Orders and 230
# million drug tests, some 13 GB of CSV) ingested, then the whole run of
# 2005Q1 with its series. Prints each stage's wall time, rows per second and
# peak memory, beside the goal: every stage under 4 GiB. Not in CI: the
# delivery alone takes 13 GB of disk (about 2 minutes to generate here).
# Usage: scale100.sh DTTO
set -euo pipefail
cd "$(dirname "$0")/.."
dtto=$1
work=bench/work
delivery="$work/scale100"
source bench/generated.sh
generated "$dtto" 100 "$delivery"
rows=$(sed -n 's/^[a-z_]* = \([0-9]*\)$/\1/p' "$delivery/extract.toml" | paste -sd+ | bc)

# Wall seconds and peak RSS (KiB) of one command, from GNU time.
measure() {
  local log=$1
  shift
  /usr/bin/time -f '%e %M' -o "$log.time" "$@" > "$log" 2>&1 || {
    echo "failed: $* (see $log)" >&2
    return 1
  }
  cat "$log.time"
}

rm -rf "$work/scale100-warehouse" "$work/scale100-output"
read -r ingest_s ingest_kib < <(measure "$work/scale100-ingest.log" \
  "$dtto" ingest --extract "$delivery" --warehouse "$work/scale100-warehouse")
read -r run_s run_kib < <(measure "$work/scale100-run.log" \
  "$dtto" run --extract "$delivery" --warehouse "$work/scale100-warehouse" \
  --output "$work/scale100-output" --period 2005Q1)

echo
echo "Scale 100: $rows rows (goal: every stage under 4 GiB peak)"
printf '%-34s %9s %14s %14s\n' stage "wall s" "rows/s" "peak RSS MiB"
for stage in "ingest:$ingest_s:$ingest_kib" "run 2005Q1, series included:$run_s:$run_kib"; do
  IFS=: read -r name seconds kib <<< "$stage"
  printf '%-34s %9.1f %14d %14d\n' "$name" "$seconds" "$(echo "$rows / $seconds" | bc)" "$((kib / 1024))"
done
