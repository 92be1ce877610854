"""What the worker runs with: its options, OUT/run.json and the environment.

run.json may give ``project``, ``instrumented_dir``, ``env`` (set in the worker's environment
first), ``pytest_args`` (a list) and ``manifest`` (read for the ids of static gremlins); the
command-line options win over it.  The instrumented dir comes from ``--instrumented-dir``,
run.json, or ``GREMLIN_INSTRUMENTED_DIR``.  pytest runs with ``-q --tb=line``, then run.json's
``pytest_args``, then the extra arguments (a ``--tb=short`` there gives longer excerpts, at
about twice the cost of a zapped gremlin).  Anything unusable is a UsageError.
"""

import argparse
import json
import os

from ..errors import UsageError
from ..run_json import read_run

DEFAULT_PYTEST_ARGS = ["-q", "--tb=line"]  # line: failure reports cost a third of short


class ArgumentParser(argparse.ArgumentParser):
    """Bad options become UsageError, so that the runtime also gets them as an error event."""

    def error(self, message):
        raise UsageError("%s: error: %s" % (self.prog, message))


def parse_args(argv):
    parser = ArgumentParser(
        prog="python -m gremlins_pytest.worker",
        description="pytest warm worker speaking the gremlin-actors worker protocol")
    parser.add_argument("--gremlins-dir", help="folder holding run.json (and manifest.json)")
    parser.add_argument("--project", help="project root (default: run.json's, else cwd)")
    parser.add_argument("--instrumented-dir", help="folder of instrumented sources")
    parser.add_argument("pytest_args", nargs="*", help="extra pytest arguments, after --")
    return parser.parse_args(argv)


class Settings:
    """What the worker runs with, from the options, run.json and the environment."""

    def __init__(self, project, inst, pytest_args, env, static_ids):
        self.project = project
        self.instrumented_dir = inst
        self.pytest_args = pytest_args
        self.env = env
        self.static_ids = static_ids


def resolve_settings(args):
    run = read_run(args.gremlins_dir) if args.gremlins_dir else {}
    project = os.path.abspath(args.project or run.get("project") or os.getcwd())
    if not os.path.isdir(project):
        raise UsageError("project folder does not exist: %s" % project)
    env = {str(k): str(v) for k, v in (run.get("env") or {}).items()}
    inst = (args.instrumented_dir or run.get("instrumented_dir")
            or env.get("GREMLIN_INSTRUMENTED_DIR") or os.environ.get("GREMLIN_INSTRUMENTED_DIR"))
    if inst:
        inst = os.path.abspath(inst)
        if not os.path.isdir(inst):
            raise UsageError("instrumented dir does not exist: %s" % inst)
    pytest_args = DEFAULT_PYTEST_ARGS + [str(a) for a in run.get("pytest_args") or []]
    static = static_gremlins(run["manifest"]) if isinstance(run.get("manifest"), str) else set()
    settings = Settings(project, inst, pytest_args + list(args.pytest_args), env, static)
    settings.run_info = run  # for the zygote's cold-runner sessions (zygote.py)
    settings.extra_args = list(args.pytest_args)
    return settings


def static_gremlins(manifest_path):
    """The ids the manifest marks static: their code ran at import time, so switching them on
    in a warm process would test nothing."""
    try:
        with open(manifest_path, encoding="utf-8") as f:
            manifest = json.load(f)
        return {g["id"] for g in manifest["gremlins"] if g.get("static")}
    except OSError as e:
        raise UsageError("%s: cannot read the manifest: %s"
                         % (manifest_path, e.strerror)) from None
    except (ValueError, KeyError, TypeError, AttributeError) as e:
        raise UsageError("%s: not a gremlin manifest (%s: %s)"
                         % (manifest_path, type(e).__name__, e)) from None
