#!/usr/bin/env bash
# Installs every build, test and report dependency from Debian's packages (and the
# mutation-testing-elements web component from the npm registry). Idempotent; run as root.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"

packages=(
  build-essential cmake ninja-build ccache pkg-config
  libcaf-dev libboost-dev libboost-filesystem-dev
  catch2 nlohmann-json3-dev libcli11-dev libfmt-dev libbenchmark-dev libtomlplusplus-dev
  libsqlitecpp-dev libsqlite3-dev sqlite3
  python3 python3-pytest python3-coverage python3-pytest-cov python3-jsonschema
  python3-venv python3-pip python3-setuptools
  procps util-linux time git chromium libcaf-doc
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# npm comes with the machine's Node.js; Debian's own npm only where there is none.
if ! command -v npm >/dev/null 2>&1; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends nodejs npm
fi

# The pytest adapter (Debian's python3 finds it without pip) and the HTML report's web
# component (npm registry) have their own scripts.
for extra in install-python-adapter.sh install-report-assets.sh; do
  if [ -f "$here/scripts/$extra" ]; then bash "$here/scripts/$extra"; fi
done
