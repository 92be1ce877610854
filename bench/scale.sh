#!/usr/bin/env bash
# Scale: N no-op gremlins through the real CLI on 2 warm no-op workers (batches of 100), for
# N = 10k, 100k and 1M by default. Prints, per N: wall s, gremlins/s over the whole command,
# peak RSS of the gremlin-actors process (MB), and whether every gremlin got exactly one result.
# Targets (issue "Nothing escapes, nothing is lost"): RSS <= 200 MB at 100k, <= 1 GB at 1M;
# time linear in N.
#
# usage: bench/scale.sh [--bin GREMLIN_ACTORS] [--noop NOOP_WORKER] [--sizes "10000 100000 1000000"]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="" noop="" sizes="10000 100000 1000000"
while [ $# -gt 0 ]; do
  case "$1" in
    --bin) bin="$2"; shift 2 ;;
    --noop) noop="$2"; shift 2 ;;
    --sizes) sizes="$2"; shift 2 ;;
    *) echo "scale: unknown option '$1'" >&2; exit 2 ;;
  esac
done
[ -n "$bin" ] || bin="$root/build/gremlin-actors"
[ -n "$noop" ] || noop="$root/build/bench/noop_worker"
for f in "$bin" "$noop"; do [ -x "$f" ] || { echo "scale: $f is not built (ninja -C build)" >&2; exit 2; }; done
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
printf '%-9s %8s %12s %8s %s\n' gremlins wall_s gremlins/s rss_MB "all present"
prev_rate=""
for n in $sizes; do
  awk -v n="$n" 'BEGIN { for (i = 0; i < n; ++i) printf "g%07d\n", i }' > "$work/ids.txt"
  /usr/bin/time -f '%e %M' -o "$work/time" "$bin" run --gremlin-ids "$work/ids.txt" --workers 2 --batch \
    --batch-size 100 --worker-command "$noop" --json "$work/results.json" -q > /dev/null
  read -r wall rss_kb < "$work/time"
  present=$(/usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); ids=[r["gremlin_id"] for r in d["results"]]; print("yes" if len(ids)==len(set(ids))==int(sys.argv[2]) else "NO (%d)" % len(ids))' "$work/results.json" "$n")
  rate=$(awk -v n="$n" -v w="$wall" 'BEGIN { printf "%.0f", n / (w > 0 ? w : 0.001) }')
  printf '%-9s %8s %12s %8d %s\n' "$n" "$wall" "$rate" $((rss_kb / 1024)) "$present"
done
