#!/usr/bin/env bash
# Makes Debian's /usr/bin/python3 find the gremlins_pytest package and makes pytest auto-load
# its plugin (pytest --gremlins), without pip: a .pth file pointing at adapters/pytest and a
# minimal gremlins_pytest-0.1.0.dist-info (METADATA + entry_points.txt [pytest11]) in the
# interpreter's first site-packages folder. Idempotent; run as root.
#   GREMLINS_PYTHON    interpreter to install for (default /usr/bin/python3)
#   GREMLINS_SITE_DIR  install into this folder instead (used by the tests)
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
adapter="$here/adapters/pytest"
python="${GREMLINS_PYTHON:-/usr/bin/python3}"
if [ ! -d "$adapter/gremlins_pytest" ]; then
  echo "install-python-adapter: $adapter/gremlins_pytest is missing" >&2
  exit 2
fi
site="${GREMLINS_SITE_DIR:-}"
if [ -z "$site" ]; then
  if ! site="$("$python" -c 'import site; print(site.getsitepackages()[0])')"; then
    echo "install-python-adapter: cannot run $python" >&2
    exit 2
  fi
fi
version="$(sed -n 's/^__version__ = "\(.*\)"/\1/p' "$adapter/gremlins_pytest/__init__.py")"
dist="$site/gremlins_pytest-$version.dist-info"
mkdir -p "$site"
# pip installed the package here already (adapters/pytest/pyproject.toml): its files and
# record are pip's; a second entry point would not help, and overwriting them would break pip.
for installed in "$site"/gremlins_pytest-*.dist-info; do
  if [ -f "$installed/INSTALLER" ]; then
    echo "install-python-adapter: $installed was installed by $(head -1 "$installed/INSTALLER"); nothing to do"
    exit 0
  fi
done
# Older versions of this install are replaced, not accumulated.
for old in "$site"/gremlins_pytest-*.dist-info; do
  [ -d "$old" ] && [ "$old" != "$dist" ] && rm -rf "$old"
done
mkdir -p "$dist"
printf '%s\n' "$adapter" > "$site/gremlins_pytest.pth"
cat > "$dist/METADATA" <<META
Metadata-Version: 2.1
Name: gremlins_pytest
Version: $version
Summary: pytest adapter of gremlin-actors (mutation testing with warm workers)
META
cat > "$dist/entry_points.txt" <<ENTRY
[pytest11]
gremlins = gremlins_pytest.plugin
ENTRY
printf 'gremlins_pytest.pth,,\n' > "$dist/RECORD"
echo "install-python-adapter: $site/gremlins_pytest.pth -> $adapter; plugin entry point in $dist"
