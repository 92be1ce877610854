#!/usr/bin/env bash
# Runs the pytest adapter's own test suite (adapters/pytest/tests) with an interpreter that
# has pytest: /usr/bin/python3 if it can import pytest, else the first python3 on PATH that can.
# $1 (optional): the gremlin-actors binary, exported as GREMLIN_ACTORS_BIN for end-to-end tests;
# then, optionally, the test files to run.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
if [ $# -ge 1 ] && [ -n "$1" ]; then
  export GREMLIN_ACTORS_BIN="$1"
fi
python=""
for candidate in /usr/bin/python3 $(command -v -a python3 2>/dev/null || true); do
  if [ -x "$candidate" ] && "$candidate" -c 'import pytest' >/dev/null 2>&1; then
    python="$candidate"
    break
  fi
done
if [ -z "$python" ]; then
  echo "run-adapter-tests: no python3 with pytest found (tried /usr/bin/python3 and python3 on" \
       "PATH); install Debian's python3-pytest (scripts/install-deps.sh)" >&2
  exit 2
fi
cd "$root"
# $2...: the test files to run (default: all of adapters/pytest/tests).
shift $(( $# > 0 ? 1 : 0 ))
if [ $# -eq 0 ]; then
  set -- adapters/pytest/tests
fi
exec "$python" -m pytest -q -p no:cacheprovider "$@"
