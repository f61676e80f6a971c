#!/usr/bin/env bash
# make bench, disclosure control: how long `dtto run` takes to decide what to
# withhold (both years), on generated deliveries from scale 0.01 to 10, for
# the first and the last complete quarter. Goal (issue 29): 2 s each.
# Usage: disclosure.sh DTTO WORK SCALE10_DELIVERY
set -euo pipefail
dtto=$1
work=$2
scale10=$3
source bench/generated.sh

deliveries=()
goal=2
for scale in 0.01 0.02 0.05 1; do
  delivery="$work/disclosure-$scale"
  generated "$dtto" "$scale" "$delivery"
  deliveries+=("$scale:$delivery")
done
deliveries+=("10:$scale10")

echo
echo "Disclosure control (goal: ${goal} s or less for every delivery and period)"
printf '%-8s %-8s %10s %12s %6s\n' scale period seconds withheld goal
for entry in "${deliveries[@]}"; do
  scale=${entry%%:*}
  delivery=${entry#*:}
  # The first quarter whose year the generated data covers, and the last.
  for period in 2000Q4 2005Q1; do
    summary=$("$dtto" run --extract "$delivery" --warehouse "$work/disclosure-warehouse" \
      --output "$work/disclosure-output" --period "$period" 2>> "$work/disclosure.log")
    seconds=$(sed -n 's/^Disclosure control decided in \([0-9.]*\) s$/\1/p' <<< "$summary")
    withheld=$(sed -n 's/^Disclosure control, reference year: \([0-9]* of [0-9]*\) figures.*/\1/p' <<< "$summary")
    verdict=$(awk -v s="$seconds" -v g="$goal" 'BEGIN { print (s != "" && s <= g) ? "met" : "MISSED" }')
    printf '%-8s %-8s %10s %12s %6s\n' "$scale" "$period" "$seconds" "$withheld" "$verdict"
  done
done
