"""``python -m gremlins_pytest prepare``: instrument a project and run its baseline.

Writes OUT/instrumented/ (the instrumented tree and its ``_gremlins_switch.py``),
OUT/manifest.json (the gremlins, each with its covering tests) and OUT/run.json (how to run
the workers and cold runs), and prints the path of run.json on stdout.  Progress goes to
stderr.  Exit codes: 0 done, 2 bad usage, 4 the baseline tests failed (their output is shown).
"""

import argparse
import json
import os
import subprocess
import sys
import time

from . import operators as ops
from . import project as proj
from .errors import UsageError
from .pytest_support import parse_with_extra


def log(message):
    sys.stderr.write("gremlins_pytest: %s\n" % message)
    sys.stderr.flush()


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="python -m gremlins_pytest prepare",
        description="Instrument a pytest project and record its baseline coverage.")
    parser.add_argument("--project", required=True, help="the project's root folder")
    parser.add_argument("--out", help="output folder (default: PROJECT/.gremlins)")
    parser.add_argument("--operators", help="comma-separated operators (default: all of %s)"
                        % ",".join(ops.OPERATORS))
    parser.add_argument("--targets", nargs="+", default=[],
                        help="source files or folders, relative to the project (default: "
                             "auto-detect the src/ or flat layout)")
    parser.add_argument("--python-paths", nargs="+", default=[],
                        help="extra folders for PYTHONPATH, relative to the project")
    return parse_with_extra(parser, argv)


def atomic_write_json(path, data):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=1)
        handle.write("\n")
    os.replace(tmp, path)


def run_baseline(python, project, inst, out, env, pytest_args):
    """Runs the baseline in a fresh interpreter: (coverage data or None, wall ms, output)."""
    coverage_file = os.path.join(out, "baseline-coverage.json")
    if os.path.exists(coverage_file):
        os.remove(coverage_file)
    command = [python, "-m", "gremlins_pytest.baseline", "--instrumented-dir", inst,
               "--out", coverage_file, "--"] + pytest_args
    full_env = dict(os.environ)
    full_env.update(env)
    full_env.pop("ACTIVE_GREMLIN", None)
    start = time.perf_counter()
    proc = subprocess.run(command, cwd=project, env=full_env, stdin=subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    wall_ms = (time.perf_counter() - start) * 1000.0
    output = proc.stdout.decode("utf-8", errors="replace")
    data = None
    if os.path.exists(coverage_file):
        with open(coverage_file, encoding="utf-8") as handle:
            data = json.load(handle)
    if data is not None:
        data["exit_code"] = proc.returncode
    return data, wall_ms, output


def order_tests(nodeids, durations):
    """Fastest first; equal durations by node id, so the order is deterministic."""
    return sorted(nodeids, key=lambda n: (durations.get(n, 0.0), n))


def attach_tests(gremlins, coverage):
    """Fill each gremlin's ``tests`` and finish ``static`` from the baseline's coverage.

    A gremlin is static when its site runs at import time (by its position in the source, or
    because the baseline reached it outside any test).  A static gremlin that was reached at
    all gets every test: its effect is fixed at import and may show anywhere.  A gremlin
    nobody reached gets [] (no_coverage).  Tests are listed fastest first."""
    durations = coverage["tests"]
    outside = set(coverage["outside"])
    reached_by = {}
    for nodeid, ids in coverage["hits"].items():
        for gid in ids:
            reached_by.setdefault(gid, set()).add(nodeid)
    all_tests = order_tests(durations, durations)
    for g in gremlins:
        reached = reached_by.get(g["id"], set())
        g["static"] = bool(g["static"] or g["id"] in outside)
        if g["static"] and (reached or g["id"] in outside):
            g["tests"] = list(all_tests)
        else:
            g["tests"] = order_tests(reached, durations)
    return gremlins


def select_files(args, project):
    if args.targets:
        files = proj.resolve_targets(project, args.targets)
    else:
        files = proj.discover(project)
    if not files:
        raise UsageError("no Python sources found in %s (use --targets)" % project)
    return files


def prepare(args):
    project = os.path.abspath(args.project)
    if not os.path.isdir(project):
        raise UsageError("--project: %s is not a folder" % args.project)
    try:
        operators = ops.parse_operators(args.operators)
    except ValueError as exc:
        raise UsageError("--operators: %s" % exc) from None
    out = os.path.abspath(args.out or os.path.join(project, ".gremlins"))
    files = select_files(args, project)
    os.makedirs(out, exist_ok=True)
    inst = os.path.join(out, "instrumented")
    gremlins, modules = proj.build(project, files, inst, operators, log)
    log("instrumented %d files (%d modules), %d gremlins, operators %s"
        % (len(files), len(modules), len(gremlins), ",".join(operators)))
    python = proj.interpreter()
    extra_paths = [os.path.join(project, p) for p in args.python_paths]
    env = {"PYTHONPATH": proj.python_path(inst, extra_paths), "GREMLIN_INSTRUMENTED_DIR": inst}
    pytest_args = ["--rootdir", project, "-p", "no:cacheprovider"] + args.pytest_args
    coverage, wall_ms, output = run_baseline(python, project, inst, out, env,
                                             ["-q"] + pytest_args)
    if coverage is None or coverage["exit_code"] != 0:
        sys.stderr.write(output)
        code = coverage["exit_code"] if coverage else "none"
        log("the baseline failed (pytest exit code %s): fix the tests first" % code)
        return 4
    attach_tests(gremlins, coverage)
    manifest_path = os.path.join(out, "manifest.json")
    manifest = {"version": 1, "gremlins": gremlins,
                "tests": {n: {"duration_ms": coverage["tests"][n]}
                          for n in order_tests(coverage["tests"], coverage["tests"])}}
    atomic_write_json(manifest_path, manifest)
    run = {
        "version": 1, "python": python, "project": project, "gremlins_dir": out,
        "manifest": manifest_path, "instrumented_dir": inst, "env": env,
        "pytest_args": pytest_args,
        "worker_command": [python, "-m", "gremlins_pytest.worker", "--gremlins-dir", out],
        "cold_command": [python, "-m", "gremlins_pytest.cold", "--gremlins-dir", out],
        "baseline_ms": round(wall_ms, 3),
    }
    run_path = os.path.join(out, "run.json")
    atomic_write_json(run_path, run)
    covered = sum(1 for g in gremlins if g["tests"])
    static = sum(1 for g in gremlins if g["static"])
    log("baseline: %d tests in %.0f ms; %d of %d gremlins covered, %d static"
        % (len(coverage["tests"]), wall_ms, covered, len(gremlins), static))
    print(run_path)
    return 0


def main(argv):
    try:
        return prepare(parse_args(argv))
    except UsageError as exc:
        log("error: %s" % exc)
        return 2
