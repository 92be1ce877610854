#!/usr/bin/env bash
# The cold executor's overhead: N no-op gremlins through
#     gremlin-actors run -q --workers 2 --timeout 30 --gremlin-ids FILE -- env CMD
# against the floor of one process per gremlin,
#     xargs -P2 -I{} env ACTIVE_GREMLIN={} CMD  < FILE
# Both sides start `env`, which execs CMD, once per gremlin, so they start the same programs
# (gremlin-actors also runs the baseline once: N + 1 processes). The two alternate for R
# rounds; the script prints every round, the total of each side and the ratio
# gremlin-actors / xargs (target <= 1.10; the floor is 1.0).
#
# usage: bench/overhead.sh [--bin GREMLIN_ACTORS] [--gremlins N] [--rounds R] [--workers W]
#                          [--cmd PROGRAM]
# Without --bin it uses the newest build*/gremlin-actors, building build-bench if none exists.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="${GREMLIN_ACTORS_BIN:-}"
N=2000 R=5 W=2 CMD=true
usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0" >&2; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --bin) bin="$2"; shift 2 ;;
    --gremlins) N="$2"; shift 2 ;;
    --rounds) R="$2"; shift 2 ;;
    --workers) W="$2"; shift 2 ;;
    --cmd) CMD="$2"; shift 2 ;;
    -h|--help) usage ;;
    *) echo "overhead: unknown option '$1'" >&2; usage ;;
  esac
done
for v in N R W; do
  case "${!v}" in ''|*[!0-9]*|0) echo "overhead: $v must be a positive integer (got '${!v}')" >&2; exit 2 ;; esac
done
command -v "$CMD" >/dev/null || { echo "overhead: --cmd $CMD: not found" >&2; exit 2; }

if [ -z "$bin" ]; then bin="$(ls -t "$root"/build*/gremlin-actors 2>/dev/null | head -n1 || true)"; fi
if [ -z "$bin" ]; then
  echo "overhead: building gremlin-actors in $root/build-bench" >&2
  cmake -S "$root" -B "$root/build-bench" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build "$root/build-bench" -j2 --target gremlin-actors >/dev/null
  bin="$root/build-bench/gremlin-actors"
fi
[ -x "$bin" ] || { echo "overhead: $bin is not an executable" >&2; exit 2; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
ids="$work/ids.txt"
for ((i = 0; i < N; i++)); do printf 'noop_g%06d\n' "$i"; done >"$ids"

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

run_actors() {
  "$bin" run -q --workers "$W" --timeout 30 --gremlin-ids "$ids" --json "$work/r.json" -- env "$CMD" \
    >"$work/out" 2>&1 || { echo "overhead: gremlin-actors failed:" >&2; cat "$work/out" >&2; exit 1; }
  grep -q "\"survived\": $N" "$work/r.json" ||
    { echo "overhead: gremlin-actors did not report $N survivors" >&2; exit 1; }
}

run_xargs() {
  xargs -P "$W" -I{} env ACTIVE_GREMLIN={} "$CMD" <"$ids"
}

echo "overhead: $N no-op gremlins (env $CMD), $W workers, $R rounds; $bin"
total_a=0 total_x=0
for ((r = 1; r <= R; r++)); do
  t0=$(now_ms); run_actors; t1=$(now_ms); run_xargs; t2=$(now_ms)
  a=$((t1 - t0)) x=$((t2 - t1))
  total_a=$((total_a + a)) total_x=$((total_x + x))
  printf 'round %d: gremlin-actors %6d ms   xargs -P%d %6d ms   ratio %s\n' "$r" "$a" "$W" "$x" \
    "$(awk -v a="$a" -v x="$x" 'BEGIN { printf "%.3f", a / x }')"
done
printf 'total:   gremlin-actors %6d ms   xargs -P%d %6d ms   ratio %s (target <= 1.10)\n' \
  "$total_a" "$W" "$total_x" "$(awk -v a="$total_a" -v x="$total_x" 'BEGIN { printf "%.3f", a / x }')"
printf 'per gremlin: gremlin-actors %.3f ms, xargs %.3f ms\n' \
  "$(awk -v t="$total_a" -v n="$((N * R))" 'BEGIN { print t / n }')" \
  "$(awk -v t="$total_x" -v n="$((N * R))" 'BEGIN { print t / n }')"
