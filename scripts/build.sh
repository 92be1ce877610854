#!/usr/bin/env bash
# Installs the dependencies (Debian packages, npm assets, the pytest adapter's hook) and
# builds everything into build/. Idempotent.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
if [ "$(id -u)" -eq 0 ]; then
  bash "$here/scripts/install-deps.sh"
elif command -v sudo >/dev/null 2>&1; then
  sudo bash "$here/scripts/install-deps.sh"
else
  echo "scripts/build.sh: run as root (or with sudo) to install the dependencies" >&2
  exit 2
fi
export CCACHE_DIR="${CCACHE_DIR:-$HOME/.cache/ccache}"
cmake -S "$here" -B "$here/build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build "$here/build" -j "$(nproc)"
