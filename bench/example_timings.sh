#!/usr/bin/env bash
# pytest-gremlins' "Example Timings" table, measured, with a synthetic workload: start-up cost S
# (an interpreter, imports, collection) and test cost T per gremlin, N gremlins.
#   sequential       cold command `sleep S+T` per gremlin, 1 worker
#   parallel         the same, W workers
#   batch            warm worker (bench/programs/noop_worker S T): S at start-up and again on
#                    every recycling (--max-reuse B, pytest-gremlins' "one subprocess per batch"),
#                    T per gremlin; --batch --batch-size B; 1 worker
#   parallel+batch   the same, W workers
#   warm             warm worker, no recycling, W workers (what this runtime does by default)
# Model (pytest-gremlins'): sequential = N(S+T); parallel = that / W; batch = N/B x S + N x T;
# parallel+batch = that / W; warm = S + N x T / W.
# "run s" is the gremlin phase (results.json summary.wall_ms); "cmd s" the whole command
# (also its baseline run, for the cold modes). Speed-up is the first mode's run s (sequential
# unless --modes says otherwise) / run s; "model x" is the same ratio of the model values.
#
# usage: bench/example_timings.sh [--bin GREMLIN_ACTORS] [--noop NOOP_WORKER] [--start-ms S]
#                                 [--test-ms T] [--gremlins N] [--workers W] [--batch-size B]
#                                 [--modes "sequential parallel batch parallel+batch warm"]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="${GREMLIN_ACTORS_BIN:-}"
noop=""
S=50 T=5 N=400 W=2 B=10
modes="sequential parallel batch parallel+batch warm"
usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0" >&2; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --bin) bin="$2"; shift 2 ;;
    --noop) noop="$2"; shift 2 ;;
    --start-ms) S="$2"; shift 2 ;;
    --test-ms) T="$2"; shift 2 ;;
    --gremlins) N="$2"; shift 2 ;;
    --workers) W="$2"; shift 2 ;;
    --batch-size) B="$2"; shift 2 ;;
    --modes) modes="$2"; shift 2 ;;
    -h|--help) usage ;;
    *) echo "example_timings: unknown option '$1'" >&2; usage ;;
  esac
done
for v in S T N W B; do
  case "${!v}" in ''|*[!0-9]*) echo "example_timings: $v must be a non-negative integer (got '${!v}')" >&2; exit 2 ;; esac
done
[ "$N" -gt 0 ] && [ "$W" -gt 0 ] && [ "$B" -gt 0 ] || { echo "example_timings: N, W and B must be positive" >&2; exit 2; }
if [ -z "$bin" ]; then
  bin="$(ls -t "$root"/build*/gremlin-actors 2>/dev/null | head -n1 || true)"
fi
if [ -z "$noop" ]; then
  noop="$(ls -t "$root"/build*/bench/noop_worker 2>/dev/null | head -n1 || true)"
fi
[ -x "$bin" ] || { echo "example_timings: no gremlin-actors binary (give --bin)" >&2; exit 2; }
[ -x "$noop" ] || { echo "example_timings: no noop_worker (build bench/programs, or give --noop)" >&2; exit 2; }
command -v jq >/dev/null || { echo "example_timings: needs jq" >&2; exit 2; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
seq -f "g%06.0f" 1 "$N" > "$work/ids"
cold_sleep="$(awk -v s="$S" -v t="$T" 'BEGIN { printf "%.3f", (s + t) / 1000 }')"

# Runs one mode; prints "run_ms cmd_ms answered".
measure() {
  local json="$work/r.json" t0 t1
  rm -f "$json"
  t0=$(date +%s%N)
  "$bin" run -q --gremlin-ids "$work/ids" --json "$json" --timeout 60 "$@" >"$work/out" 2>&1 ||
    { echo "example_timings: run failed: $*" >&2; cat "$work/out" >&2; exit 1; }
  t1=$(date +%s%N)
  jq -r --arg cmd "$(( (t1 - t0) / 1000000 ))" \
    '"\(.summary.wall_ms) \($cmd) \(.summary.survived + .summary.zapped)"' "$json"
}

model() {  # model_ms for a mode
  awk -v m="$1" -v s="$S" -v t="$T" -v n="$N" -v w="$W" -v b="$B" 'BEGIN {
    seq = n * (s + t); batch = n / b * s + n * t
    if (m == "sequential") v = seq; else if (m == "parallel") v = seq / w
    else if (m == "batch") v = batch; else if (m == "parallel+batch") v = batch / w
    else v = s + n * t / w
    printf "%.0f", v }'
}

echo "Example timings: S=${S} ms start-up, T=${T} ms per gremlin, N=${N} gremlins, ${W} workers, batch ${B}"
printf '%-16s %10s %10s %10s %10s %9s\n' mode "run s" "cmd s" "model s" speed-up "model x"
seq_ms=""
seq_model="$(model sequential)"
for mode in $modes; do
  case "$mode" in
    sequential)     args=(--workers 1 -- /bin/sleep "$cold_sleep") ;;
    parallel)       args=(--workers "$W" -- /bin/sleep "$cold_sleep") ;;
    batch)          args=(--workers 1 --batch --batch-size "$B" --max-reuse "$B" --worker-command "$noop $S $T") ;;
    parallel+batch) args=(--workers "$W" --batch --batch-size "$B" --max-reuse "$B" --worker-command "$noop $S $T") ;;
    warm)           args=(--workers "$W" --batch --batch-size "$B" --worker-command "$noop $S $T") ;;
    *) echo "example_timings: unknown mode '$mode'" >&2; exit 2 ;;
  esac
  read -r run_ms cmd_ms answered < <(measure "${args[@]}")
  [ "$answered" -eq "$N" ] || { echo "example_timings: $mode answered $answered of $N" >&2; exit 1; }
  m="$(model "$mode")"
  [ -n "$seq_ms" ] || seq_ms="$run_ms"
  awk -v mode="$mode" -v r="$run_ms" -v c="$cmd_ms" -v m="$m" -v sq="$seq_ms" -v sm="$seq_model" 'BEGIN {
    printf "%-16s %10.2f %10.2f %10.2f %9.1fx %8.1fx\n", mode, r / 1000, c / 1000, m / 1000, sq / r, sm / m }'
done
