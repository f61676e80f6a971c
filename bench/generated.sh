# Sourced by the bench scripts. `generated DTTO SCALE DIR`: the synthetic
# delivery of that scale (seed 1, as at 2005-03-31) in DIR, generated again
# only when the generator's source has changed since (DIR.generator keeps
# the hash of the source that made it). Says so on stderr when it generates.
generated() {
  local dtto=$1 scale=$2 delivery=$3
  local generator
  generator=$(cat pipeline/crates/fixtures/src/*.rs | sha256sum | cut -d' ' -f1)
  if [ -f "$delivery/extract.toml" ] && [ "$(cat "$delivery.generator" 2>/dev/null)" = "$generator" ]; then
    return
  fi
  rm -rf "$delivery"
  echo "Generating the scale-$scale delivery..." >&2
  local started=$SECONDS
  "$(dirname "$dtto")/dtto-fixtures" --seed 1 --scale "$scale" --as-at 2005-03-31 "$delivery" > /dev/null
  echo "generated in $((SECONDS - started)) s" >&2
  echo "$generator" > "$delivery.generator"
}
