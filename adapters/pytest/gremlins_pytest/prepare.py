"""``python -m gremlins_pytest prepare``: instrument a project and run its baseline.

Writes OUT/instrumented/ (the instrumented tree and its ``_gremlins_switch.py``),
OUT/manifest.json (the gremlins, each with its tests) and OUT/run.json (how to run the workers
and cold runs), and prints the path of run.json on stdout.  Progress goes to stderr.  Exit
codes: 0 done, 2 bad usage (also: OUT cannot be written, or another run holds OUT/lock), 4 the
baseline tests failed (their output is shown).

Steps:

1. OUT/lock: an exclusive ``flock`` for as long as the run uses OUT (its holder's pid is
   written in it).  A second run on the same project refuses (exit 2) instead of replacing the
   instrumented tree under the first.  ``gremlin-actors run --pytest`` holds that lock itself
   for the whole run and says so with GREMLIN_OUT_LOCKED=OUT; then prepare does not take it.
2. The instrumented tree.
3. The baseline (``gremlins_pytest.baseline``): the tests over the instrumented tree, no gremlin
   active, recording the gremlin sites each test reaches and each test's duration.
4. The isolation check (``gremlins_pytest.baseline --isolation``): every test alone, in a child
   forked from a collected session; a test that fails alone relies on state that earlier tests
   create ("order-dependent"): the earlier tests it needs are narrowed down, printed on stderr
   (one line: ``order-dependent tests (fail when run alone): ...``) and kept in run.json
   (``order_dependent``: {test: [the tests it needs] or null for "the whole suite"}).
5. The manifest: each gremlin's tests are the tests that reach it (in the baseline or when run
   alone in the isolation check: a test that uses a scoped fixture or a memo another test set
   up reaches that code only alone), ordered fastest first by
   duration bucket (0-30 ms, 30-300 ms, 0.3-3 s, ...: a noisy sample rarely changes a bucket),
   ties in collection order, so the same tree always gives the same order.  When one of them is
   order-dependent or needed by one, the tests of that group are added and the whole list is
   in collection order, so that the run sees the same state as a whole-suite run does (null
   needs: every test, in collection order).

Every pytest run it starts, and the workers and cold runs through run.json's ``pytest_args``
and ``env``, have coverage plugins blocked (pytest_support.NO_COVERAGE_ARGS and
NO_COVERAGE_ENV): mutation runs never measure coverage nor write the project's coverage files.
"""

import argparse
import json
import math
import os
import subprocess
import sys
import time

from . import fingerprint
from . import observers
from . import operators as ops
from . import project as proj
from .errors import UsageError
from .pytest_support import NO_COVERAGE_ARGS, NO_COVERAGE_ENV, in_process_args, parse_with_extra

#: Set by a caller that holds OUT/lock for the whole run (gremlin-actors): its value is OUT.
LOCK_HELD_ENV = "GREMLIN_OUT_LOCKED"
LOCK_FILE = "lock"


def log(message):
    sys.stderr.write("gremlins_pytest: %s\n" % message)
    sys.stderr.flush()


def counted(n, noun):
    """"1 file", "2 files": a count with its noun."""
    return "%d %s%s" % (n, noun, "" if n == 1 else "s")


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="python -m gremlins_pytest prepare",
        description="Instrument a pytest project and record its baseline coverage.")
    parser.add_argument("--project", required=True, help="the project's root folder")
    parser.add_argument("--out", help="output folder (default: PROJECT/.gremlins)")
    parser.add_argument("--operators", help="comma-separated operators of %s, or all, default "
                        "(default: %s)" % (",".join(ops.OPERATORS), ",".join(ops.DEFAULT)))
    parser.add_argument("--targets", nargs="+", default=[],
                        help="source files or folders, relative to the project (default: "
                             "auto-detect the src/ or flat layout)")
    parser.add_argument("--exclude", nargs="+", default=[],
                        help="files, folders or glob patterns not to mutate (relative to the "
                             "project)")
    parser.add_argument("--python-paths", nargs="+", default=[],
                        help="extra folders for PYTHONPATH, relative to the project")
    return parse_with_extra(parser, argv)


def atomic_write_json(path, data):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=1)
        handle.write("\n")
    os.replace(tmp, path)


def cannot_write(path, exc):
    reason = exc.strerror or str(exc)
    return UsageError("cannot write %s: %s (gremlins_pytest keeps its instrumented copy and "
                      "results there)" % (path, reason))


def make_out(out):
    """OUT exists and is writable, or a UsageError that says why not (read-only file system,
    permissions) in one line."""
    try:
        os.makedirs(out, exist_ok=True)
        probe = os.path.join(out, ".write-test-%d" % os.getpid())
        with open(probe, "w", encoding="utf-8"):
            pass
        os.remove(probe)
    except OSError as exc:
        raise cannot_write(out, exc) from None


def lock_out(out):
    """Take OUT/lock (see the module's docstring); returns the open file, kept for the life
    of this process, or None when the caller holds the lock for us."""
    if os.environ.get(LOCK_HELD_ENV) == out:
        return None
    import fcntl
    path = os.path.join(out, LOCK_FILE)
    try:
        handle = open(path, "a+", encoding="utf-8")
    except OSError as exc:
        raise cannot_write(path, exc) from None
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.seek(0)
        holder = handle.read().strip() or "?"
        handle.close()
        raise UsageError("another run (pid %s) is using %s: wait for it to finish; two runs on "
                         "one project would share its instrumented copy" % (holder, out)) from None
    handle.seek(0)
    handle.truncate()
    handle.write("%d\n" % os.getpid())
    handle.flush()
    return handle


def subprocess_env(env):
    full_env = dict(os.environ)
    full_env.update(env)
    full_env.pop("ACTIVE_GREMLIN", None)
    full_env.pop(LOCK_HELD_ENV, None)
    return full_env


def run_baseline(python, project, inst, out, env, pytest_args):
    """Runs the baseline in a fresh interpreter: (coverage data or None, wall ms, output)."""
    coverage_file = os.path.join(out, "baseline-coverage.json")
    if os.path.exists(coverage_file):
        os.remove(coverage_file)
    command = [python, "-m", "gremlins_pytest.baseline", "--instrumented-dir", inst,
               "--out", coverage_file, "--"] + pytest_args
    start = time.perf_counter()
    proc = subprocess.run(command, cwd=project, env=subprocess_env(env),
                          stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT)
    wall_ms = (time.perf_counter() - start) * 1000.0
    output = proc.stdout.decode("utf-8", errors="replace")
    data = None
    if os.path.exists(coverage_file):
        with open(coverage_file, encoding="utf-8") as handle:
            data = json.load(handle)
    if data is not None:
        data["exit_code"] = proc.returncode
    return data, wall_ms, output


#: pytest's exit codes for "usage error" and "no tests collected".
PYTEST_USAGE_ERROR, PYTEST_NO_TESTS = 4, 5


def refused_arguments(coverage, user_args):
    """The message when the baseline shows that pytest refused the arguments given after
    ``--`` (a usage error), or that they select no test; else None (bad input: exit 2, not a
    failed baseline)."""
    code = coverage["exit_code"] if coverage else None
    if not user_args or code not in (PYTEST_USAGE_ERROR, PYTEST_NO_TESTS):
        return None
    given = " ".join(user_args)
    if code == PYTEST_USAGE_ERROR:
        return "pytest refused the arguments given after --: %s (see above)" % given
    return "the pytest arguments given after -- select no test: %s" % given


def run_isolation(python, project, inst, out, env, pytest_args):
    """The isolation check in a fresh interpreter: (result dict or None, output)."""
    result_file = os.path.join(out, "isolation.json")
    if os.path.exists(result_file):
        os.remove(result_file)
    command = [python, "-m", "gremlins_pytest.baseline", "--instrumented-dir", inst,
               "--isolation", result_file,
               "--durations", os.path.join(out, "baseline-coverage.json"), "--"] + pytest_args
    proc = subprocess.run(command, cwd=project, env=subprocess_env(env),
                          stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT)
    output = proc.stdout.decode("utf-8", errors="replace")
    if proc.returncode != 0 or not os.path.exists(result_file):
        return None, output
    with open(result_file, encoding="utf-8") as handle:
        return json.load(handle), output


#: The first duration bucket's upper bound; the next ones are 10 times as wide each.
BUCKET_MS = 30.0


def duration_bucket(ms):
    """Decades of duration: 0 below 30 ms, 1 below 300 ms, 2 below 3 s, ...  Wide enough that
    one noisy sample on a loaded machine rarely moves a test to another bucket."""
    if ms < BUCKET_MS:
        return 0
    return 1 + int(math.floor(math.log10(ms / BUCKET_MS)))


def order_tests(nodeids, durations, position=None):
    """Fastest first by duration bucket; in a bucket, by collection position, then node id:
    the order is the same whenever the tree is, however noisy one duration sample is."""
    position = position or {}
    last = len(position)
    return sorted(nodeids, key=lambda n: (duration_bucket(durations.get(n, 0.0)),
                                          position.get(n, last), n))


def collection_order(nodeids, position):
    last = len(position)
    return sorted(nodeids, key=lambda n: (position.get(n, last), n))


def dependency_groups(order_dependent, everything):
    """{test: the group it belongs to}: an order-dependent test's group is the test and what
    it needs (null: every test); a test may be in several groups, so the groups of each test
    are merged."""
    groups = {}
    for test, needs in order_dependent.items():
        group = set(everything) if needs is None else set(needs) | {test}
        for member in group:
            groups.setdefault(member, set()).update(group)
    return groups


def with_dependencies(tests, groups):
    """``tests`` plus, transitively, the groups of its members; and whether any was added or
    any member is in a group."""
    result = set(tests)
    todo = [t for t in result if t in groups]
    touched = bool(todo)
    while todo:
        for member in groups.get(todo.pop(), ()):
            if member not in result:
                result.add(member)
                if member in groups:
                    todo.append(member)
    return result, touched


def merge_alone_hits(coverage, alone_hits):
    """Add to the baseline's hits the sites each test reached when it ran alone (the
    isolation check): a test that used a value another test made first (a scoped fixture, a
    memo) makes it itself there, and it sees a gremlin in that code (see baseline.py)."""
    hits = coverage["hits"]
    for nodeid, ids in alone_hits.items():
        if nodeid in coverage["tests"]:
            hits[nodeid] = sorted(set(hits.get(nodeid, ())) | set(ids))


def attach_tests(gremlins, coverage, order_dependent=None, scan=None):
    """Fill each gremlin's ``tests`` and finish ``static`` from the baseline's coverage.

    A gremlin is static when its site runs at import time (by its position in the source, or
    because the baseline reached it outside any test).  A static gremlin that was reached at
    all gets every test: its effect is fixed at import and may show anywhere; but one in a
    default argument (its ``observed_by``, taken out of the entry here) gets only the tests
    that can observe it when ``scan`` (observers.scan) shows which (observers.py).  A gremlin
    nobody reached gets [] (no_coverage).  Tests are ordered by order_tests, or in collection
    order with the tests they depend on (see the module's docstring).  Returns how many
    static gremlins got fewer tests than the whole suite that way."""
    durations = coverage["tests"]
    order = [n for n in coverage.get("order") or [] if n in durations]
    order += [n for n in durations if n not in set(order)]
    position = {n: i for i, n in enumerate(order)}
    groups = dependency_groups(order_dependent or {}, order)
    outside = set(coverage["outside"])
    reached_by = {}
    for nodeid, ids in coverage["hits"].items():
        for gid in ids:
            reached_by.setdefault(gid, set()).add(nodeid)
    narrowed = 0
    for g in gremlins:
        reached = reached_by.get(g["id"], set())
        observed_by = g.pop("observed_by", None)
        g["static"] = bool(g["static"] or g["id"] in outside)
        if g["static"]:  # the warm worker imports the project afresh for it (worker/zygote.py)
            g["zygote"] = True
        observers_ = None
        if g["static"] and observed_by is not None and scan is not None:
            observers_ = observers.observing_tests(observed_by, scan, reached_by, outside,
                                                   order)
        if observers_ is not None:
            tests = observers_
            narrowed += 1
        elif g["static"] and (reached or g["id"] in outside):
            tests = set(order)
        else:
            tests = reached
        tests, touched = with_dependencies(tests, groups)
        if touched:
            g["tests"] = collection_order(tests, position)
        else:
            g["tests"] = order_tests(tests, durations, position)
    return narrowed


#: At most this many order-dependent tests are named on the console (all are in run.json).
SHOWN_DEPENDENTS = 10


def describe_dependents(order_dependent):
    """The console line for the order-dependent tests."""
    parts = []
    for test in sorted(order_dependent)[:SHOWN_DEPENDENTS]:
        needs = order_dependent[test]
        if needs is None:
            parts.append("%s (needs the whole suite)" % test)
        elif needs:
            shown = needs[:3] + (["%d more" % (len(needs) - 3)] if len(needs) > 3 else [])
            parts.append("%s (needs %s)" % (test, ", ".join(shown)))
        else:
            parts.append(test)
    if len(order_dependent) > SHOWN_DEPENDENTS:
        parts.append("and %d more (run.json: order_dependent)"
                     % (len(order_dependent) - SHOWN_DEPENDENTS))
    return ("order-dependent tests (fail when run alone): %s; the gremlins they cover run "
            "with the tests they need, in collection order" % "; ".join(parts))


def select_files(args, project):
    if args.targets:
        files = proj.resolve_targets(project, args.targets)
    else:
        files = proj.discover(project)
    if files and args.exclude:
        files = proj.exclude_files(project, files, args.exclude, log)
        if not files:
            raise UsageError("--exclude %s leaves no Python source of %s to mutate"
                             % (" ".join(args.exclude), project))
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
    make_out(out)
    lock = lock_out(out)
    try:
        return prepare_locked(args, project, operators, out, files)
    finally:
        if lock is not None:
            lock.close()


def prepare_locked(args, project, operators, out, files):
    """The steps after the lock (see the module's docstring): the tree, baseline, isolation
    check, manifest and run.json."""
    inst = os.path.join(out, "instrumented")
    try:
        gremlins, modules = proj.build(project, files, inst, operators, log)
    except OSError as exc:
        raise cannot_write(exc.filename or inst, exc) from None
    log("instrumented %s (%s), %s, operators %s"
        % (counted(len(files), "file"), counted(len(modules), "module"), counted(len(gremlins), "gremlin"),
           ",".join(operators)))
    python = proj.interpreter()
    extra_paths = [os.path.join(project, p) for p in args.python_paths]
    env = {"PYTHONPATH": proj.python_path(inst, extra_paths), "GREMLIN_INSTRUMENTED_DIR": inst}
    env.update(NO_COVERAGE_ENV)
    pytest_args = (["--rootdir", project, "-p", "no:cacheprovider"] + NO_COVERAGE_ARGS
                   + args.pytest_args + in_process_args(args.pytest_args))
    coverage, wall_ms, output = run_baseline(python, project, inst, out, env,
                                             ["-q"] + pytest_args)
    refused = refused_arguments(coverage, args.pytest_args)
    if refused:
        sys.stderr.write(output)
        raise UsageError(refused)
    if coverage is None or coverage["exit_code"] != 0:
        sys.stderr.write(output)
        code = coverage["exit_code"] if coverage else "none"
        log("the baseline failed (pytest exit code %s): fix the tests first" % code)
        return 4
    isolation, isolation_output = run_isolation(python, project, inst, out, env,
                                                ["-q"] + pytest_args)
    if isolation is None:
        sys.stderr.write(isolation_output[-4000:])
        log("the isolation check did not finish: every gremlin runs with the whole suite, in "
            "collection order")
        order_dependent = {t: None for t in coverage["tests"]}
    else:
        order_dependent = isolation["alone_fail"]
        merge_alone_hits(coverage, isolation.get("alone_hits") or {})
    scan = None
    if any(g.get("observed_by") for g in gremlins):
        scan = observers.scan(project, proj.read_source)
        if scan.introspection:
            log("default-argument gremlins run the whole suite: the project reads functions' "
                "signatures (%s)" % ", ".join(scan.introspection[:3]))
        if scan.dynamic:
            log("module-constant gremlins run the whole suite: the project reads attributes "
                "by computed names (%s)" % ", ".join(scan.dynamic[:3]))
    narrowed = attach_tests(gremlins, coverage, order_dependent, scan)
    if narrowed:
        log("%s in default arguments and module constants: only the tests that can "
            "observe %s" % (counted(narrowed, "static gremlin"),
                            "it" if narrowed == 1 else "them"))
    fingerprint.attach_fingerprints(gremlins, project, operators, pytest_args)
    manifest_path = os.path.join(out, "manifest.json")
    order = coverage.get("order") or list(coverage["tests"])
    manifest = {"version": 1, "gremlins": gremlins,
                "tests": {n: {"duration_ms": coverage["tests"][n]}
                          for n in order_tests(coverage["tests"], coverage["tests"],
                                               {n: i for i, n in enumerate(order)})}}
    run = {
        "version": 1, "python": python, "project": project, "gremlins_dir": out,
        "manifest": manifest_path, "instrumented_dir": inst, "env": env,
        "pytest_args": pytest_args,
        "user_pytest_args": list(args.pytest_args),
        "worker_command": [python, "-m", "gremlins_pytest.worker", "--gremlins-dir", out],
        "cold_command": [python, "-m", "gremlins_pytest.cold", "--gremlins-dir", out],
        "baseline_ms": round(wall_ms, 3),
        "order_dependent": order_dependent,
    }
    run_path = os.path.join(out, "run.json")
    try:
        atomic_write_json(manifest_path, manifest)
        atomic_write_json(run_path, run)
    except OSError as exc:
        raise cannot_write(out, exc) from None
    covered = sum(1 for g in gremlins if g["tests"])
    static = sum(1 for g in gremlins if g["static"])
    log("baseline: %s in %.0f ms; %d of %s covered, %d static"
        % (counted(len(coverage["tests"]), "test"), wall_ms, covered, counted(len(gremlins), "gremlin"), static))
    if order_dependent and isolation is not None:
        log(describe_dependents(order_dependent))
    print(run_path)
    return 0


def main(argv):
    try:
        return prepare(parse_args(argv))
    except UsageError as exc:
        log("error: %s" % exc)
        return 2
