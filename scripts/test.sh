#!/usr/bin/env bash
# The README's test command: install, build, run the whole test suite through ctest.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
bash "$here/scripts/build.sh"
cd "$here/build"
ctest --output-on-failure --timeout 1200 "$@"
