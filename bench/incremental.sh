#!/usr/bin/env bash
# Bench of the results store (docs/results-store.md) through the real CLI: what a re-run costs.
# On examples/calc (copied to a temporary folder) and on a generated larger project
# (bench/gen_project.py --modules N), three runs of `gremlin-actors run --pytest` one after
# the other on the same project and store (.gremlins/results.db):
#   full       the first run: an empty store, every gremlin tested
#   unchanged  the same command again, nothing edited: every verdict reused
#   one edit   after a trailing comment is added to one line of one function (calc: clamp in
#              calc/arith.py; gen: clamp in genlib/mod_0.py): that function's gremlins tested
# "wall s" is the whole command (instrumenting, the coverage baseline, the gremlins, writing the
# results); "tested" and "reused" count the results file's results without and with
# `"reused": true`. The ratio is full / unchanged wall time. Verdicts of the unchanged re-run
# are compared with the full run's.
#
# usage: bench/incremental.sh [--bin GREMLIN_ACTORS] [--python PY] [--workers N]
#                             [--modules N] [--projects "calc gen"] [--keep]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="${GREMLIN_ACTORS_BIN:-}"
python=/usr/bin/python3
workers=2
modules=20
projects="calc gen"
keep=0
usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0" >&2; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --bin) bin="$2"; shift 2 ;;
    --python) python="$2"; shift 2 ;;
    --workers) workers="$2"; shift 2 ;;
    --modules) modules="$2"; shift 2 ;;
    --projects) projects="$2"; shift 2 ;;
    --keep) keep=1; shift ;;
    -h|--help) usage ;;
    *) echo "incremental: unknown option '$1'" >&2; usage ;;
  esac
done
if [ -z "$bin" ]; then
  bin="$(ls -t "$root"/build*/gremlin-actors "$root"/build*/cli/gremlin-actors 2>/dev/null | head -n1 || true)"
fi
if [ -z "$bin" ] || [ ! -x "$bin" ]; then
  echo "incremental: no gremlin-actors binary (give --bin or GREMLIN_ACTORS_BIN)" >&2; exit 2
fi
bin="$(realpath "$bin")"  # the runs start in the project folder
if ! "$python" -c 'import pytest' 2>/dev/null; then
  echo "incremental: $python cannot import pytest (give --python)" >&2; exit 2
fi
for n in "$workers" "$modules"; do
  case "$n" in ''|*[!0-9]*|0) echo "incremental: --workers and --modules must be positive integers" >&2; exit 2 ;; esac
done

work="$(mktemp -d "${TMPDIR:-/tmp}/incremental-bench.XXXXXX")"
if [ "$keep" = 0 ]; then trap 'rm -rf "$work"' EXIT; else echo "incremental: files kept in $work" >&2; fi
rows="$work/rows.tsv"
: > "$rows"
unset ACTIVE_GREMLIN GREMLIN_INSTRUMENTED_DIR PYTEST_ADDOPTS || true

# make_project NAME: a fresh copy (or generation) of the project in $work/NAME; prints its path.
make_project() {
  local dir="$work/$1"
  case "$1" in
    calc) cp -r "$root/examples/calc" "$dir"; rm -rf "$dir/.gremlins" ;;
    gen) "$python" "$root/bench/gen_project.py" "$dir" --modules "$modules" > /dev/null ;;
    *) echo "incremental: unknown project '$1' (calc or gen)" >&2; exit 2 ;;
  esac
  find "$dir" -name __pycache__ -prune -exec rm -rf {} +
  echo "$dir"
}

# edit_one_function NAME DIR: a trailing comment on the first condition of clamp; the line
# count stays, so only that function's source changes.
edit_one_function() {
  local file line
  case "$1" in
    calc) file="$2/calc/arith.py"; line='    if low > high:' ;;
    gen) file="$2/genlib/mod_0.py"; line='    if v < 0:' ;;
  esac
  "$python" -c '
import sys
path, line = sys.argv[1], sys.argv[2]
lines = open(path, encoding="utf-8").read().split("\n")
if line not in lines:
    sys.exit("incremental: %s has no line %r" % (path, line))
lines[lines.index(line)] = line + "  # reviewed"
open(path, "w", encoding="utf-8").write("\n".join(lines))' "$file" "$line"
}

# run_step NAME DIR STEP: one run; appends "NAME STEP wall_s results.json" to the rows.
run_step() {
  local name="$1" dir="$2" step="$3"
  local out="$work/$name-$step.json" log="$work/$name-$step.log"
  (cd "$dir" && /usr/bin/time -f '%e' -o "$work/time" "$bin" run --pytest --project "$dir" \
     --python "$python" --workers "$workers" --no-color --json "$out") > "$log" 2>&1 \
    || { echo "incremental: $name $step failed:" >&2; tail -n 30 "$log" >&2; exit 1; }
  printf '%s\t%s\t%s\t%s\n' "$name" "$step" "$(cat "$work/time")" "$out" >> "$rows"
  echo "incremental: $name $step $(cat "$work/time") s" >&2
}

for name in $projects; do
  dir="$(make_project "$name")"
  run_step "$name" "$dir" full
  run_step "$name" "$dir" unchanged
  edit_one_function "$name" "$dir"
  run_step "$name" "$dir" edit
done

"$python" - "$rows" "$workers" <<'EOF'
import json, sys
rows = [line.rstrip("\n").split("\t") for line in open(sys.argv[1]) if line.strip()]
data = {(name, step): (float(wall), json.load(open(path))) for name, step, wall, path in rows}
LABELS = {"full": "full run", "unchanged": "unchanged re-run", "edit": "one-function change"}
print("workers: %s\n" % sys.argv[2])
print("| project | gremlins | run | wall s | tested | reused | full / unchanged |")
print("|---|---|---|---|---|---|---|")
for project in dict.fromkeys(r[0] for r in rows):
    full_wall, full = data[(project, "full")]
    verdicts = {r["gremlin_id"]: r["status"] for r in full["results"]}
    for step in ("full", "unchanged", "edit"):
        wall, result = data[(project, step)]
        reused = sum(1 for r in result["results"] if r.get("reused"))
        tested = len(result["results"]) - reused
        ratio = "**%.1f x**" % (full_wall / wall) if step == "unchanged" else ""
        print("| %s | %d | %s | %.2f | %d | %d | %s |"
              % (project, len(result["results"]), LABELS[step], wall, tested, reused, ratio))
    again = {r["gremlin_id"]: r["status"] for r in data[(project, "unchanged")][1]["results"]}
    if again != verdicts:
        differ = sorted(g for g in set(again) | set(verdicts) if again.get(g) != verdicts.get(g))
        print("\n%s: the unchanged re-run's verdicts differ from the full run's: %s"
              % (project, ", ".join(differ[:10])))
EOF
