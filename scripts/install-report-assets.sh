#!/usr/bin/env bash
# Installs the HTML report's web component (mutation-testing-elements) and the report's JSON
# schema (mutation-testing-report-schema) from the npm registry into one fixed folder, where
# gremlin-actors and its tests find them. Idempotent; run as root.
#   GREMLIN_ASSETS_DIR  the folder (default /usr/local/share/gremlin-actors/npm); the CLI reads
#                       the same variable, so a non-root user can install elsewhere and point to it.
set -euo pipefail
dir="${GREMLIN_ASSETS_DIR:-/usr/local/share/gremlin-actors/npm}"
packages=(mutation-testing-elements@3 mutation-testing-report-schema@3)

have_major_3() {  # $1 = package name; true when installed with major version 3
  local pj="$dir/node_modules/$1/package.json"
  [ -f "$pj" ] && grep -Eq '"version": *"3\.' "$pj"
}

if have_major_3 mutation-testing-elements && have_major_3 mutation-testing-report-schema \
   && [ -f "$dir/node_modules/mutation-testing-elements/dist/mutation-test-elements.js" ]; then
  echo "report assets already in $dir"
  exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
  echo "install-report-assets.sh: npm is missing (scripts/install-deps.sh installs it)" >&2
  exit 1
fi
mkdir -p "$dir"
# A package.json of our own keeps npm from walking up to some other project's.
[ -f "$dir/package.json" ] || echo '{"name": "gremlin-actors-report-assets", "private": true}' > "$dir/package.json"
npm install --prefix "$dir" --no-audit --no-fund --omit=dev "${packages[@]}"
for f in mutation-testing-elements/dist/mutation-test-elements.js \
         mutation-testing-report-schema/dist/src/mutation-testing-report-schema.json; do
  if [ ! -f "$dir/node_modules/$f" ]; then
    echo "install-report-assets.sh: $f is missing after npm install" >&2
    exit 1
  fi
done
echo "report assets installed in $dir"
