#!/usr/bin/env bash
# Where a gremlin's milliseconds go (issue 14): per-gremlin wall, the tests' own time and the
# overhead, split into phases, for the warm fork, in-process and cold executors with 1 and 2
# workers, on examples/calc, the generated 60-test project and one with import-time
# constants; the measured floor; the targets, each "holds" or "does not hold".
# Everything is in bench/fork_overhead.py (its docstring says what each number is).
#
# usage: bench/fork_overhead.sh [--bin GREMLIN_ACTORS] [--python PY] [--projects "calc gen consts"]
#                               [--executors "fork inprocess subprocess"] [--workers "1 2"]
#                               [--cold-workers "2"] [--timeout S] [--per-gremlin] [--keep]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
python=/usr/bin/python3
for ((i = 1; i <= $#; i++)); do
  if [ "${!i}" = --python ]; then j=$((i + 1)); python="${!j}"; fi
done
exec "$python" "$root/bench/fork_overhead.py" "$@"
