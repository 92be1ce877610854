"""pytest plugin: ``pytest --gremlins``, run through gremlin-actors.

    pytest --gremlins [--gremlin-parallel] [--gremlin-workers=N] [--gremlin-batch]
           [--gremlin-batch-size=N] [--gremlin-operators=a,b] [--gremlin-targets=p,q]

runs ``gremlin-actors run --pytest --project <rootdir> --python <this interpreter> ...`` instead
of the normal test session and exits with its exit code.  Without ``--gremlins`` the plugin does
nothing.  The binary is $GREMLIN_ACTORS_BIN, else ``gremlin-actors`` on PATH, else the newest
``build*/gremlin-actors`` (or ``build*/cli/gremlin-actors``) of the source tree this adapter
lives in.
"""

import glob
import os
import shutil
import subprocess
import sys

import pytest

ADAPTER_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SOURCE_TREE = os.path.dirname(os.path.dirname(ADAPTER_DIR))


def pytest_addoption(parser):
    group = parser.getgroup("gremlins", "mutation testing with gremlin-actors")
    group.addoption("--gremlins", action="store_true", default=False,
                    help="run mutation testing (gremlin-actors) instead of the tests")
    group.addoption("--gremlin-parallel", action="store_true", default=False,
                    help="test gremlins on several workers at once")
    group.addoption("--gremlin-workers", type=int, default=None, metavar="N",
                    help="number of workers (default: CPU count)")
    group.addoption("--gremlin-batch", action="store_true", default=False,
                    help="send gremlins to the workers in batches")
    group.addoption("--gremlin-batch-size", type=int, default=None, metavar="N",
                    help="gremlins per batch (default 10)")
    group.addoption("--gremlin-operators", default=None, metavar="LIST",
                    help="comma-separated operators: comparison,arithmetic,boolean,boundary,"
                         "return (default: all)")
    group.addoption("--gremlin-cache", action="store_true", default=False,
                    help="keep verdicts in .gremlins/results.db and reuse unchanged ones (the default)")
    group.addoption("--gremlin-clear-cache", action="store_true", default=False,
                    help="forget the stored verdicts: test every gremlin again")
    group.addoption("--gremlin-targets", default=None, metavar="LIST",
                    help="comma-separated source files or folders to mutate")


def find_binary():
    """The gremlin-actors executable, or None."""
    explicit = os.environ.get("GREMLIN_ACTORS_BIN")
    if explicit:
        return explicit
    on_path = shutil.which("gremlin-actors")
    if on_path:
        return on_path
    candidates = [p for pattern in ("build*/gremlin-actors", "build*/cli/gremlin-actors")
                  for p in glob.glob(os.path.join(SOURCE_TREE, pattern))
                  if os.path.isfile(p) and os.access(p, os.X_OK)]
    return max(candidates, key=os.path.getmtime) if candidates else None


def build_command(binary, option, rootdir):
    """The gremlin-actors argv for the parsed options (``option`` = config.option)."""
    command = [binary, "run", "--pytest", "--project", str(rootdir), "--python", sys.executable]
    if option.gremlin_parallel:
        command.append("--parallel")
    if option.gremlin_workers is not None:
        command += ["--workers", str(option.gremlin_workers)]
    if option.gremlin_batch:
        command.append("--batch")
    if option.gremlin_batch_size is not None:
        command += ["--batch-size", str(option.gremlin_batch_size)]
    if option.gremlin_operators:
        command += ["--operators", option.gremlin_operators]
    if option.gremlin_targets:
        command += ["--targets", option.gremlin_targets]
    # The results store is on with --pytest; --gremlin-cache says so, --gremlin-clear-cache
    # starts it afresh (docs/results-store.md).
    if getattr(option, "gremlin_clear_cache", False):
        command.append("--force")
    return command


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config):
    if not config.option.gremlins:
        return None
    binary = find_binary()
    if binary is None:
        sys.stderr.write("pytest --gremlins: gremlin-actors not found: set GREMLIN_ACTORS_BIN, "
                         "put it on PATH, or build it in %s/build\n" % SOURCE_TREE)
        return 2
    command = build_command(binary, config.option, config.rootpath)
    try:
        return subprocess.call(command, cwd=str(config.rootpath))
    except OSError as exc:
        sys.stderr.write("pytest --gremlins: cannot run %s: %s\n" % (binary, exc))
        return 2
    except KeyboardInterrupt:
        return 130
