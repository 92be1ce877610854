#!/usr/bin/env bash
# The README's first command: install, build, and run gremlin-actors on the bundled example
# (examples/calc, a small library with a real pytest suite and some genuine test gaps).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
bash "$here/scripts/build.sh"
cd "$here/examples/calc"
set +e
"$here/build/gremlin-actors" run --pytest --parallel --batch \
  --report-html .gremlins/report.html "$@"
code=$?
set -e
echo
echo "results: examples/calc/.gremlins/results.json   HTML report: examples/calc/.gremlins/report.html"
exit $code
