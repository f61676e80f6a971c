#!/usr/bin/env bash
# The reader-side attacker, in its own virtualenv (.attack-venv, HiGHS from
# PyPI). Usage: tests/attack/run.sh OUTPUT/<period> [options of attack.py]
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
venv="$root/.attack-venv"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import highspy, numpy' 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet "highspy>=1.7" numpy
fi
exec "$venv/bin/python" "$root/tests/attack/attack.py" "$@"
