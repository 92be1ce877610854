#!/usr/bin/env bash
# Bench of the pytest adapter through the real CLI, on examples/calc and on a generated project
# (bench/gen_project.py: 60 fast tests, 135 gremlins). Modes, each with 1 and 2 workers:
#   a  cold, whole suite per gremlin in a fresh interpreter (what pytest-gremlins does):
#      gremlin-actors run --manifest M -- python -m pytest -x -q, the instrumented tree first
#      on PYTHONPATH (run.json's env) and its switch loaded as a plugin (-p _gremlins_switch),
#      so the instrumented modules win over the project's own
#   b  cold, covering tests only: run --pytest --executor subprocess
#   c  warm fork:                 run --pytest --executor fork
#   d  warm inprocess:            run --pytest --executor inprocess
# "run s" is the gremlin phase (results.json summary.wall_ms: worker warm-up, warm and static
# cold runs); "cmd s" is the whole command (for --pytest: also instrumenting and the coverage
# baseline; for a: also its baseline run); "cmd cpu s" is user + sys time of the whole command
# and every process it waited for (workers, forked children). gremlins/s = all gremlins / run s. Speed-up is
# against mode a with the same workers (run s). Verdicts are compared with mode a, 1 worker.
#
# Every mode gets the same fixed time limit (--timeout, default 60 s; these projects have no
# runaway gremlin): the adaptive limit comes from one baseline sample, and on a loaded machine
# cold runs were seen to exceed it, which would make verdicts differ for reasons of load alone.
#
# usage: bench/pytest_bench.sh [--bin GREMLIN_ACTORS] [--python PY] [--workers "1 2"]
#                              [--repeat R] [--projects "calc gen"] [--modes "a b c d"]
#                              [--timeout S] [--keep]
# --repeat R runs each cell R times and keeps the fastest (the machine may be shared).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="${GREMLIN_ACTORS_BIN:-}"
python=/usr/bin/python3
workers_list="1 2"
repeat=1
projects="calc gen"
modes="a b c d"
keep=0
timeout=60
usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0" >&2; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --bin) bin="$2"; shift 2 ;;
    --python) python="$2"; shift 2 ;;
    --workers) workers_list="$2"; shift 2 ;;
    --repeat) repeat="$2"; shift 2 ;;
    --projects) projects="$2"; shift 2 ;;
    --modes) modes="$2"; shift 2 ;;
    --timeout) timeout="$2"; shift 2 ;;
    --keep) keep=1; shift ;;
    -h|--help) usage ;;
    *) echo "pytest_bench: unknown option '$1'" >&2; usage ;;
  esac
done
if [ -z "$bin" ]; then
  bin="$(ls -t "$root"/build*/gremlin-actors "$root"/build*/cli/gremlin-actors 2>/dev/null | head -n1 || true)"
fi
if [ -z "$bin" ] || [ ! -x "$bin" ]; then
  echo "pytest_bench: no gremlin-actors binary (give --bin or GREMLIN_ACTORS_BIN)" >&2; exit 2
fi
if ! "$python" -c 'import pytest' 2>/dev/null; then
  echo "pytest_bench: $python cannot import pytest (give --python)" >&2; exit 2
fi
case "$repeat" in ''|*[!0-9]*|0) echo "pytest_bench: --repeat must be a positive integer" >&2; exit 2 ;; esac

work="$(mktemp -d "${TMPDIR:-/tmp}/pytest-bench.XXXXXX")"
if [ "$keep" = 0 ]; then trap 'rm -rf "$work"' EXIT; else echo "pytest_bench: files kept in $work" >&2; fi
rows="$work/rows.tsv"
: > "$rows"
export PYTHONPATH="$root/adapters/pytest${PYTHONPATH:+:$PYTHONPATH}"
unset ACTIVE_GREMLIN GREMLIN_INSTRUMENTED_DIR PYTEST_ADDOPTS || true

# timed OUT CMD...: runs CMD; writes "wall_s cpu_s" (user + sys of CMD and every process it
# waited for, workers and forked children included) to OUT.
timed() {
  local out="$1"; shift
  /usr/bin/time -f '%e %U %S' -o "$out.raw" "$@" || return $?
  awk '{ printf "%s %.2f\n", $1, $2 + $3 }' "$out.raw" > "$out"
}

# make_project NAME: a fresh copy (or generation) of the project in $work/NAME; prints its path.
make_project() {
  local dir="$work/$1"
  case "$1" in
    calc) cp -r "$root/examples/calc" "$dir"; rm -rf "$dir/.gremlins" ;;
    gen) "$python" "$root/bench/gen_project.py" "$dir" > /dev/null ;;
    *) echo "pytest_bench: unknown project '$1' (calc or gen)" >&2; exit 2 ;;
  esac
  find "$dir" -name __pycache__ -prune -exec rm -rf {} +
  echo "$dir"
}

# run_cell PROJECT_NAME PROJECT_DIR MODE WORKERS: best of $repeat; appends a row.
run_cell() {
  local name="$1" dir="$2" mode="$3" n="$4" best="" best_json="" i out log
  for i in $(seq "$repeat"); do
    out="$work/$name-$mode-$n-$i.json"
    log="$work/$name-$mode-$n-$i.log"
    case "$mode" in
      a) (cd "$dir" && timed "$work/time" "$bin" run --manifest "$work/$name-prep/manifest.json" --rootdir "$dir" \
            "${a_env[@]}" --workers "$n" --timeout "$timeout" --no-color --json "$out" \
            -- "$python" -m pytest -x -q -p no:cacheprovider -p _gremlins_switch) > "$log" 2>&1 ;;
      b|c|d) local ex; ex="$( [ "$mode" = b ] && echo subprocess || { [ "$mode" = c ] && echo fork || echo inprocess; } )"
         (cd "$dir" && timed "$work/time" "$bin" run --pytest --project "$dir" --python "$python" --workers "$n" \
            --timeout "$timeout" --executor "$ex" --no-color --json "$out") > "$log" 2>&1 ;;
    esac || { echo "pytest_bench: $name mode $mode workers $n failed:" >&2; tail -n 30 "$log" >&2; exit 1; }
    local cmd_s cpu_s; read -r cmd_s cpu_s < "$work/time"
    local run_s; run_s="$("$python" -c 'import json,sys; print(json.load(open(sys.argv[1]))["summary"]["wall_ms"]/1000)' "$out")"
    if [ -z "$best" ] || [ "$(echo "$run_s < $best" | bc -l)" = 1 ]; then
      best="$run_s"; best_json="$out"; best_cmd="$cmd_s"; best_cpu="$cpu_s"
    fi
  done
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$mode" "$n" "$best_cmd" "$best_cpu" "$best_json" >> "$rows"
  echo "pytest_bench: $name $mode workers=$n run ${best}s (command ${best_cmd}s, cpu ${best_cpu}s)" >&2
}

for name in $projects; do
  dir="$(make_project "$name")"
  # Mode a needs the manifest and run.json's env: one prepare, in its own folder.
  (cd "$dir" && timed "$work/$name-prep.time" "$python" -m gremlins_pytest prepare \
     --project "$dir" --out "$work/$name-prep") > "$work/$name-prep.log" 2>&1 \
    || { cat "$work/$name-prep.log" >&2; exit 1; }
  printf '%s\t%s\n' "$name" "$(cat "$work/$name-prep.time")" >> "$work/prep.tsv"
  mapfile -t a_env < <("$python" -c '
import json, sys
run = json.load(open(sys.argv[1]))
for key, value in run["env"].items():
    print("--env"); print("%s=%s" % (key, value))' "$work/$name-prep/run.json")
  for mode in $modes; do
    for n in $workers_list; do
      run_cell "$name" "$dir" "$mode" "$n"
    done
  done
done

"$python" - "$rows" "$work/prep.tsv" <<'EOF'
import json, sys
NAMES = {"a": "a cold, whole suite", "b": "b cold, covering tests", "c": "c warm fork",
         "d": "d warm inprocess"}
rows = [line.rstrip("\n").split("\t") for line in open(sys.argv[1]) if line.strip()]
prep = dict(line.rstrip("\n").split("\t") for line in open(sys.argv[2]) if line.strip())
data = {}
for name, mode, n, cmd_s, cpu_s, path in rows:
    data[(name, mode, n)] = (float(cmd_s), float(cpu_s), json.load(open(path)))
for project in dict.fromkeys(r[0] for r in rows):
    cells = [(m, n) for (p, m, n) in data if p == project]
    ref_key = min((c for c in cells if c[0] == "a"), key=lambda c: int(c[1]), default=cells[0])
    ref = {r["gremlin_id"]: r["status"] for r in data[(project,) + ref_key][2]["results"]}
    total = len(ref)
    s = data[(project,) + ref_key][2]["summary"]
    print("\n### %s: %d gremlins (%d zapped, %d survived, %d timeout, %d no_coverage, %d error)\n"
          % (project, total, s["zapped"], s["survived"], s["timeout"], s["no_coverage"],
             s["error"]))
    prep_wall, prep_cpu = prep[project].split()
    print("prepare alone (instrument + coverage baseline, part of every --pytest cmd): "
          "%s s wall, %s s cpu\n" % (prep_wall, prep_cpu))
    print("| mode | workers | run s | cmd s | cmd cpu s | gremlins/s | speed-up vs a | verdicts equal? |")
    print("|---|---|---|---|---|---|---|---|")
    for mode, n in sorted(cells, key=lambda c: (c[0], int(c[1]))):
        cmd_s, cpu_s, result = data[(project, mode, n)]
        run_s = result["summary"]["wall_ms"] / 1000.0
        verdicts = {r["gremlin_id"]: r["status"] for r in result["results"]}
        differ = [g for g in set(ref) | set(verdicts) if ref.get(g) != verdicts.get(g)]
        base = data.get((project, "a", n))
        speed = "%.1f x" % (base[2]["summary"]["wall_ms"] / 1000.0 / run_s) if base else "-"
        equal = "yes" if not differ else "NO (%d differ: %s)" % (len(differ), ", ".join(sorted(differ)[:5]))
        print("| %s | %s | %.2f | %.2f | %.2f | %.1f | %s | %s |"
              % (NAMES[mode], n, run_s, cmd_s, cpu_s, total / run_s, speed, equal))
EOF
