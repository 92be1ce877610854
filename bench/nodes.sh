#!/usr/bin/env bash
# Worker nodes on loopback against the same workers in one process (docs/nodes.md), through the
# real CLI; each side's gremlins/s is over the gremlin phase (results.json summary.wall_ms).
#   1. warm no-op throughput: N no-op gremlins (default 100,000), W warm no-op workers (2),
#      batches of B (100): `run --workers W` against one `node --workers W` used by
#      `run --workers 0 --nodes ADDR`. Prints both rates and remote / local.
#   2. a 5 ms-per-gremlin synthetic suite: M gremlins (default 2,000), warm workers that sleep
#      5 ms per gremlin, batches of 10: two nodes of one worker each (`run --workers 0 --nodes
#      A,B`) against one local process of two workers. Target: remote >= 0.9 x local.
# Nodes are started once per part (their start-up is not measured); runs alternate local and
# remote, R rounds (the machine may be shared), and the fastest of each side is kept.
#
# usage: bench/nodes.sh [--bin GREMLIN_ACTORS] [--noop NOOP_WORKER] [--gremlins N] [--workers W]
#                       [--batch-size B] [--slow-gremlins M] [--gremlin-ms T] [--repeat R]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="${GREMLIN_ACTORS_BIN:-}"
noop=""
N=100000 W=2 B=100 M=2000 T=5 R=3
usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0" >&2; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --bin) bin="$2"; shift 2 ;;
    --noop) noop="$2"; shift 2 ;;
    --gremlins) N="$2"; shift 2 ;;
    --workers) W="$2"; shift 2 ;;
    --batch-size) B="$2"; shift 2 ;;
    --slow-gremlins) M="$2"; shift 2 ;;
    --gremlin-ms) T="$2"; shift 2 ;;
    --repeat) R="$2"; shift 2 ;;
    -h|--help) usage ;;
    *) echo "nodes: unknown option '$1'" >&2; usage ;;
  esac
done
for v in N W B M T R; do
  case "${!v}" in ''|*[!0-9]*) echo "nodes: $v must be a non-negative integer (got '${!v}')" >&2; exit 2 ;; esac
done
[ "$N" -gt 0 ] && [ "$W" -gt 0 ] && [ "$B" -gt 0 ] && [ "$M" -gt 0 ] && [ "$R" -gt 0 ] ||
  { echo "nodes: N, W, B, M and R must be positive" >&2; exit 2; }
if [ -z "$bin" ]; then bin="$(ls -t "$root"/build*/gremlin-actors 2>/dev/null | head -n1 || true)"; fi
if [ -z "$noop" ]; then noop="$(ls -t "$root"/build*/bench/noop_worker 2>/dev/null | head -n1 || true)"; fi
[ -x "$bin" ] || { echo "nodes: no gremlin-actors binary (give --bin)" >&2; exit 2; }
[ -x "$noop" ] || { echo "nodes: no noop_worker (build bench/programs, or give --noop)" >&2; exit 2; }
command -v jq >/dev/null || { echo "nodes: needs jq" >&2; exit 2; }

work="$(mktemp -d)"
node_pids=()
stop_nodes() {
  for p in "${node_pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${node_pids[@]}"; do wait "$p" 2>/dev/null || true; done
  node_pids=()
}
trap 'stop_nodes; rm -rf "$work"' EXIT

# Starts a node with WORKERS warm slots running WORKER; sets $addr to its HOST:PORT. (Not in a
# $(...): the node would hold the substitution's pipe open, and its pid would be lost.)
start_node() {
  local workers="$1" worker="$2" ready="$work/ready.$RANDOM$RANDOM"
  "$bin" node --listen 127.0.0.1:0 --workers "$workers" --worker-command "$worker" --ready-file "$ready" \
    >/dev/null 2>>"$work/nodes.log" &
  node_pids+=("$!")
  for _ in $(seq 300); do [ -s "$ready" ] && break; sleep 0.05; done
  [ -s "$ready" ] || { echo "nodes: a node did not start" >&2; cat "$work/nodes.log" >&2; exit 1; }
  addr="$(cat "$ready")"
}

# Runs the CLI on the ids in $1 with the rest of the options; prints "gremlin_phase_ms answered".
measure() {
  local ids="$1" json="$work/r.json"
  shift
  rm -f "$json"
  "$bin" run -q --gremlin-ids "$ids" --json "$json" "$@" >"$work/out" 2>&1 ||
    { echo "nodes: run failed: $*" >&2; cat "$work/out" >&2; exit 1; }
  jq -r '"\(.summary.wall_ms) \(.summary.survived + .summary.zapped)"' "$json"
}

# Alternates local and remote R times: prints "best_local_ms best_remote_ms".
compare() {
  local ids="$1" expect="$2" local_opts="$3" remote_opts="$4" best_l="" best_r="" ms ok
  for _ in $(seq "$R"); do
    read -r ms ok < <(eval measure "$ids" $local_opts)
    [ "$ok" -eq "$expect" ] || { echo "nodes: local run answered $ok of $expect" >&2; exit 1; }
    if [ -z "$best_l" ] || awk -v a="$ms" -v b="$best_l" 'BEGIN { exit !(a < b) }'; then best_l="$ms"; fi
    read -r ms ok < <(eval measure "$ids" $remote_opts)
    [ "$ok" -eq "$expect" ] || { echo "nodes: remote run answered $ok of $expect" >&2; exit 1; }
    if [ -z "$best_r" ] || awk -v a="$ms" -v b="$best_r" 'BEGIN { exit !(a < b) }'; then best_r="$ms"; fi
  done
  echo "$best_l $best_r"
}

# 1. Warm no-op throughput through one node.
seq -f "g%07.0f" 1 "$N" > "$work/ids"
start_node "$W" "$noop"
read -r l r < <(compare "$work/ids" "$N" \
  "--workers $W --batch --batch-size $B --worker-command '$noop'" \
  "--workers 0 --nodes $addr --batch --batch-size $B --worker-command '$noop'")
stop_nodes
awk -v n="$N" -v w="$W" -v b="$B" -v l="$l" -v r="$r" 'BEGIN {
  printf "warm no-op, %d gremlins, %d workers, batch %d:\n", n, w, b
  printf "  local %d workers:          %.2f s  %8.0f gremlins/s\n", w, l / 1000, n / (l / 1000)
  printf "  one node of %d workers:    %.2f s  %8.0f gremlins/s   remote/local %.2f\n", w, r / 1000, n / (r / 1000), l / r }'

# 2. A 5 ms-per-gremlin suite: two nodes of one worker against one process of two.
seq -f "s%06.0f" 1 "$M" > "$work/sids"
slow="$noop 0 $T"
start_node 1 "$slow"
a="$addr"
start_node 1 "$slow"
b="$addr"
read -r l r < <(compare "$work/sids" "$M" \
  "--workers 2 --batch --batch-size 10 --worker-command '$slow'" \
  "--workers 0 --nodes $a,$b --batch --batch-size 10 --worker-command '$slow'")
stop_nodes
awk -v m="$M" -v t="$T" -v l="$l" -v r="$r" 'BEGIN {
  ratio = l / r
  printf "%d ms per gremlin, %d gremlins, batch 10:\n", t, m
  printf "  one process of 2 workers:  %.2f s  %8.1f gremlins/s\n", l / 1000, m / (l / 1000)
  printf "  two nodes of 1 worker:     %.2f s  %8.1f gremlins/s   remote/local %.2f (target 0.90: %s)\n",
         r / 1000, m / (r / 1000), ratio, (ratio >= 0.9 ? "met" : "NOT met") }'
