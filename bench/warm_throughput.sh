#!/usr/bin/env bash
# Warm-worker throughput and the warm vs cold speed-up, through the real CLI.
#   1. N no-op gremlins (default 200,000) through
#        gremlin-actors run --workers W --batch --batch-size B --worker-command noop_worker
#      -> gremlins/s, over the gremlin phase (results.json summary.wall_ms) and over the whole
#      command (also reading the ids and writing the results JSON). Target: >= 20,000/s.
#      And the CPU (user + sys) of the gremlin-actors process alone per gremlin, beside its
#      workers' (read from /proc/PID/stat of its zombie, before it is reaped: the workers'
#      time is then in the children's fields). Target: <= 10 us per gremlin.
#   2. M gremlins (default 200) when start-up costs 50 ms: a warm worker that sleeps 50 ms
#      before `ready` against a cold command that sleeps 50 ms and exits, W workers each.
#
# usage: bench/warm_throughput.sh [--bin GREMLIN_ACTORS] [--noop NOOP_WORKER] [--gremlins N]
#                                 [--workers W] [--batch-size B] [--cold-gremlins M]
#                                 [--startup-ms S] [--repeat R]
# --repeat R keeps the fastest of R throughput runs (the machine may be shared).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="${GREMLIN_ACTORS_BIN:-}"
noop=""
N=200000 W=2 B=100 M=200 S=50 R=1
usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0" >&2; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --bin) bin="$2"; shift 2 ;;
    --noop) noop="$2"; shift 2 ;;
    --gremlins) N="$2"; shift 2 ;;
    --workers) W="$2"; shift 2 ;;
    --batch-size) B="$2"; shift 2 ;;
    --cold-gremlins) M="$2"; shift 2 ;;
    --startup-ms) S="$2"; shift 2 ;;
    --repeat) R="$2"; shift 2 ;;
    -h|--help) usage ;;
    *) echo "warm_throughput: unknown option '$1'" >&2; usage ;;
  esac
done
for v in N W B M S R; do
  case "${!v}" in ''|*[!0-9]*) echo "warm_throughput: $v must be a non-negative integer (got '${!v}')" >&2; exit 2 ;; esac
done
[ "$N" -gt 0 ] && [ "$W" -gt 0 ] && [ "$B" -gt 0 ] && [ "$M" -gt 0 ] && [ "$R" -gt 0 ] ||
  { echo "warm_throughput: N, W, B, M and R must be positive" >&2; exit 2; }
if [ -z "$bin" ]; then bin="$(ls -t "$root"/build*/gremlin-actors 2>/dev/null | head -n1 || true)"; fi
if [ -z "$noop" ]; then noop="$(ls -t "$root"/build*/bench/noop_worker 2>/dev/null | head -n1 || true)"; fi
[ -x "$bin" ] || { echo "warm_throughput: no gremlin-actors binary (give --bin)" >&2; exit 2; }
[ -x "$noop" ] || { echo "warm_throughput: no noop_worker (build bench/programs, or give --noop)" >&2; exit 2; }
command -v jq >/dev/null || { echo "warm_throughput: needs jq" >&2; exit 2; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# cpu_of.py LOG ARGV...: runs ARGV with its output in LOG; prints "self_s children_s exit_code":
# user + sys of the process itself and of the children it reaped (its workers), from its
# zombie's /proc/PID/stat.
cat >"$work/cpu_of.py" <<'PY'
import os, sys
pid = os.fork()
if pid == 0:
    try:
        log = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(log, 1)
        os.dup2(log, 2)
        os.execvp(sys.argv[2], sys.argv[2:])
    finally:
        os._exit(127)
os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT)
with open("/proc/%d/stat" % pid) as f:
    fields = f.read().rsplit(")", 1)[1].split()
utime, stime, cutime, cstime = (int(x) for x in fields[11:15])
_, status = os.waitpid(pid, 0)
tick = os.sysconf("SC_CLK_TCK")
print("%.3f %.3f %d" % ((utime + stime) / tick, (cutime + cstime) / tick, os.waitstatus_to_exitcode(status)))
PY

# Runs the CLI on the ids in $1; prints "run_ms cmd_ms answered self_cpu_s workers_cpu_s".
measure() {
  local ids="$1" json="$work/r.json" t0 t1 self_s kids_s code
  shift
  rm -f "$json"
  t0=$(date +%s%N)
  read -r self_s kids_s code < <(/usr/bin/python3 "$work/cpu_of.py" "$work/out" "$bin" run -q \
                                   --gremlin-ids "$ids" --json "$json" "$@")
  t1=$(date +%s%N)
  [ "$code" = 0 ] || { echo "warm_throughput: run failed: $*" >&2; cat "$work/out" >&2; exit 1; }
  jq -r --arg cmd "$(( (t1 - t0) / 1000000 ))" --arg self "$self_s" --arg kids "$kids_s" \
    '"\(.summary.wall_ms) \($cmd) \(.summary.survived + .summary.zapped) \($self) \($kids)"' "$json"
}

seq -f "g%07.0f" 1 "$N" > "$work/ids"
best_run="" best_cmd="" best_self="" best_kids=""
for _ in $(seq "$R"); do
  read -r run_ms cmd_ms answered self_s kids_s < <(measure "$work/ids" --workers "$W" --batch --batch-size "$B" --worker-command "$noop")
  [ "$answered" -eq "$N" ] || { echo "warm_throughput: answered $answered of $N" >&2; exit 1; }
  if [ -z "$best_run" ] || awk -v a="$run_ms" -v b="$best_run" 'BEGIN { exit !(a < b) }'; then
    best_run="$run_ms" best_cmd="$cmd_ms"
  fi
  # The least CPU of the rounds: a loaded machine inflates it (caches, migrations), never shrinks it.
  if [ -z "$best_self" ] || awk -v a="$self_s" -v b="$best_self" 'BEGIN { exit !(a < b) }'; then
    best_self="$self_s" best_kids="$kids_s"
  fi
done
awk -v n="$N" -v w="$W" -v b="$B" -v r="$best_run" -v c="$best_cmd" -v cs="$best_self" -v ck="$best_kids" 'BEGIN {
  printf "warm no-op throughput: %d gremlins, %d workers, batch %d\n", n, w, b
  printf "  gremlin phase %.2f s: %.0f gremlins/s   whole command %.2f s: %.0f gremlins/s   (target 20000/s: %s)\n",
         r / 1000, n / (r / 1000), c / 1000, n / (c / 1000), (n / (r / 1000) >= 20000 ? "met" : "NOT met")
  printf "  CPU per gremlin: the runtime (gremlin-actors alone) %.1f us, its %d no-op workers %.1f us (%.2f s, %.2f s in all; target runtime <= 10 us: %s)\n",
         cs * 1e6 / n, w, ck * 1e6 / n, cs, ck, (cs * 1e6 / n <= 10 ? "met" : "NOT met") }'

# The runtime's own CPU per gremlin without the files around it (reading the ids, writing a
# results file): N and 2N gremlins with no results file, the difference over N; fastest of R.
cpu_only() {  # IDS -> "self_s"
  local self_s kids_s code
  read -r self_s kids_s code < <(/usr/bin/python3 "$work/cpu_of.py" "$work/out" "$bin" run -q \
                                   --gremlin-ids "$1" --workers "$W" --batch --batch-size "$B" --worker-command "$noop")
  [ "$code" = 0 ] && grep -q "survived" "$work/out" || { echo "warm_throughput: run failed" >&2; cat "$work/out" >&2; exit 1; }
  echo "$self_s"
}
seq -f "d%07.0f" 1 "$((2 * N))" > "$work/ids2"
best_marginal=""
for _ in $(seq "$R"); do
  one="$(cpu_only "$work/ids")" two="$(cpu_only "$work/ids2")"
  m="$(awk -v a="$one" -v b="$two" -v n="$N" 'BEGIN { printf "%.2f", (b - a) * 1e6 / n }')"
  if [ -z "$best_marginal" ] || awk -v a="$m" -v b="$best_marginal" 'BEGIN { exit !(a < b) }'; then best_marginal="$m"; fi
done
awk -v m="$best_marginal" -v n="$N" 'BEGIN {
  printf "  runtime CPU per extra gremlin, no results file (%d vs %d gremlins): %.1f us (target <= 10 us: %s)\n",
         2 * n, n, m, (m <= 10 ? "met" : "NOT met") }'

seq -f "c%05.0f" 1 "$M" > "$work/cids"
cold_sleep="$(awk -v s="$S" 'BEGIN { printf "%.3f", s / 1000 }')"
read -r warm_run warm_cmd warm_ok _ _ < <(measure "$work/cids" --workers "$W" --batch --batch-size 10 --worker-command "$noop $S")
read -r cold_run cold_cmd cold_ok _ _ < <(measure "$work/cids" --workers "$W" --timeout 60 -- /bin/sleep "$cold_sleep")
[ "$warm_ok" -eq "$M" ] && [ "$cold_ok" -eq "$M" ] || { echo "warm_throughput: not every gremlin answered" >&2; exit 1; }
awk -v m="$M" -v w="$W" -v s="$S" -v wr="$warm_run" -v cr="$cold_run" -v wc="$warm_cmd" -v cc="$cold_cmd" 'BEGIN {
  printf "warm vs cold, start-up %d ms, %d gremlins, %d workers\n", s, m, w
  printf "  cold (sleep %d ms, exit) %.2f s   warm (sleep %d ms, ready) %.2f s   speed-up %.1fx (whole commands: %.2f s vs %.2f s, %.1fx)\n",
         s, cr / 1000, s, wr / 1000, cr / wr, cc / 1000, wc / 1000, cc / wc }'
