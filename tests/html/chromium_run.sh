#!/usr/bin/env bash
# Opens a local HTML file in headless Chromium (Debian's `chromium`) with a fresh profile and
# passes the remaining arguments on (--dump-dom, --screenshot=FILE --window-size=W,H, ...).
# Usage: chromium_run.sh FILE.html [chromium arguments...]
# Exit 3 when chromium is missing. The profile folder is removed; `timeout -k` ends a hung browser.
set -euo pipefail
html="$(realpath "$1")"
shift
browser="$(command -v chromium || true)"
if [ -z "$browser" ]; then
  echo "chromium is not installed: run scripts/install-deps.sh as root" >&2
  exit 3
fi
profile="$(mktemp -d)"
trap 'rm -rf "$profile"' EXIT
timeout -k 5 120 "$browser" --headless --no-sandbox --disable-gpu --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --user-data-dir="$profile" --virtual-time-budget=60000 "$@" "file://$html"
