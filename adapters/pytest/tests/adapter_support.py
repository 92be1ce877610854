"""Shared helpers of the adapter's tests: run instrumented source in-process against a fake
switch, build the mutated source of a gremlin by plain text replacement (the oracle)."""

import asyncio
import inspect
import itertools
import sys
import types
from pathlib import Path

HERE = Path(__file__).resolve().parent
ADAPTER_DIR = HERE.parent
REPO = ADAPTER_DIR.parent.parent
HARDCASES = HERE / "projects" / "hardcases"
CALC = REPO / "examples" / "calc"

if str(ADAPTER_DIR) not in sys.path:
    sys.path.insert(0, str(ADAPTER_DIR))


def fake_switch(active=None):
    module = types.ModuleType("_gremlins_switch")
    module.active = active

    def set_active(gremlin_id):
        module.active = gremlin_id or None

    module.set_active = set_active
    return module


def run_module(code, switch, name="under_test"):
    """Executes module source with ``switch`` as _gremlins_switch; returns the module."""
    saved = sys.modules.get("_gremlins_switch")
    sys.modules["_gremlins_switch"] = switch
    try:
        module = types.ModuleType(name)
        module.__file__ = "<%s>" % name
        exec(compile(code, module.__file__, "exec", dont_inherit=True), module.__dict__)
        return module
    finally:
        if saved is None:
            sys.modules.pop("_gremlins_switch", None)
        else:
            sys.modules["_gremlins_switch"] = saved


def mutate_text(source, gremlin):
    """The source with the gremlin's span replaced by its replacement: the mutant written by
    hand, independent of the instrumenter's AST work."""
    lines = source.splitlines(True)
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line))
    start = offsets[gremlin["line"] - 1] + gremlin["column"] - 1
    end = offsets[gremlin["end_line"] - 1] + gremlin["end_column"] - 1
    assert source[start:end] == gremlin["original"], (gremlin, source[start:end])
    return source[:start] + gremlin["replacement"] + source[end:]


def outcome(fn, *args, **kwargs):
    """repr of what a call gives: its value (generators listed, coroutines run) or its error."""
    try:
        value = fn(*args, **kwargs)
        if inspect.isgenerator(value):
            value = list(itertools.islice(value, 50))  # a mutant may never stop
        elif inspect.iscoroutine(value):
            value = asyncio.run(value)
        return repr(value)
    except Exception as exc:  # the behaviour under test includes the errors raised
        return "raises %s" % type(exc).__name__


# --- End-to-end runs through the real CLI, and the verdicts a whole-suite run gives ---------

import concurrent.futures  # noqa: E402 -- helpers below are for the end-to-end tests
import json  # noqa: E402
import os  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import xml.etree.ElementTree as ElementTree  # noqa: E402

PROJECTS = HERE / "projects"
#: The executors of `gremlin-actors run --executor`: warm fork, warm inprocess, cold.
EXECUTORS = ("fork", "inprocess", "subprocess")


def gremlin_actors_bin():
    """$GREMLIN_ACTORS_BIN, or the test fails (a run that forgot it must never look green)."""
    import pytest
    path = os.environ.get("GREMLIN_ACTORS_BIN")
    if not path:
        pytest.fail("GREMLIN_ACTORS_BIN is not set: build gremlin-actors and run "
                    "tests/run-adapter-tests.sh <path-of-gremlin-actors>", pytrace=False)
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        pytest.fail("GREMLIN_ACTORS_BIN=%s is not an executable file" % path, pytrace=False)
    return path


def clean_env(extra=None):
    """The environment for a CLI run: no inherited gremlin, pytest options or coverage hooks."""
    env = dict(os.environ)
    for name in ("ACTIVE_GREMLIN", "PYTEST_ADDOPTS", "GREMLIN_INSTRUMENTED_DIR",
                 "GREMLIN_OUT_LOCKED", "COVERAGE_PROCESS_START"):
        env.pop(name, None)
    env["NO_COLOR"] = "1"
    env.update(extra or {})
    return env


def copy_project(name_or_path, dest):
    """A fresh copy of tests/projects/<name> (or of a folder) at ``dest``."""
    source = PROJECTS / name_or_path if isinstance(name_or_path, str) else Path(name_or_path)
    shutil.copytree(source, dest, ignore=shutil.ignore_patterns(
        ".gremlins", "__pycache__", ".pytest_cache", ".coverage*"))
    return dest


def cli_run(project, executor, json_path, *extra, env=None, timeout_s=300, workers=2):
    """``gremlin-actors run --pytest`` on ``project``: (completed process, results or None)."""
    argv = [gremlin_actors_bin(), "run", "--pytest", "--project", str(project), "--python",
            sys.executable, "--parallel", "--workers", str(workers), "--executor", executor,
            "--show-all", "--no-color", "--no-store", "--json", str(json_path)] + [str(a) for a in extra]
    proc = subprocess.run(argv, cwd=str(project), env=env or clean_env(),
                          stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=timeout_s)
    data = json.loads(Path(json_path).read_text()) if Path(json_path).is_file() else None
    return proc, data


def statuses(results):
    """{gremlin id: status} of a results.json."""
    return {r["gremlin_id"]: r["status"] for r in results["results"]}


def killing_tests(results):
    return {r["gremlin_id"]: r.get("killing_test") for r in results["results"]}


def read_run_files(project):
    out = Path(project) / ".gremlins"
    return (json.loads((out / "run.json").read_text()),
            json.loads((out / "manifest.json").read_text()))


def whole_suite_verdict(run, gremlin, expected_tests, workdir, env=None, limit_s=120):
    """The verdict of one gremlin in a fresh ``python -m pytest`` over the whole suite (the
    instrumented tree, run.json's environment and pytest arguments, the gremlin active from
    the start), judged independently of the adapter: ``survived`` only when pytest exited 0
    and its JUnit XML report shows every one of the baseline's ``expected_tests`` tests run
    with no failure or error; ``timeout`` past ``limit_s``; else ``zapped`` (a failed test, a
    broken import or collection, a process that ended before the session did)."""
    report = Path(workdir) / ("junit-%s.xml" % gremlin)
    if report.exists():
        report.unlink()
    full_env = dict(os.environ)
    full_env.pop("PYTEST_ADDOPTS", None)
    full_env.update(run["env"])
    full_env.update(env or {})
    full_env["ACTIVE_GREMLIN"] = gremlin
    argv = ([sys.executable, "-m", "pytest", "-p", "_gremlins_switch"] + run["pytest_args"]
            + ["-q", "--tb=native", "--junitxml", str(report)])
    try:
        proc = subprocess.run(argv, cwd=run["project"], env=full_env, stdin=subprocess.DEVNULL,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              timeout=limit_s, start_new_session=True)
    except subprocess.TimeoutExpired:
        return "timeout"
    if proc.returncode != 0 or not report.is_file():
        return "zapped"
    root = ElementTree.parse(str(report)).getroot()
    suites = [root] if root.tag == "testsuite" else list(root.iter("testsuite"))
    ran = sum(int(s.get("tests", 0)) for s in suites)
    bad = sum(int(s.get("failures", 0)) + int(s.get("errors", 0)) for s in suites)
    return "survived" if ran == expected_tests and bad == 0 else "zapped"


def whole_suite_verdicts(project, workdir, env=None, limit_s=120, jobs=2):
    """{gremlin id: verdict} for every gremlin of the project's manifest that some test covers
    (see whole_suite_verdict); the project must have been prepared (its .gremlins/ is read)."""
    run, manifest = read_run_files(project)
    expected = len(manifest["tests"])
    covered = [g["id"] for g in manifest["gremlins"] if g["tests"]]
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        verdicts = pool.map(lambda gid: whole_suite_verdict(run, gid, expected, workdir, env,
                                                            limit_s), covered)
        return dict(zip(covered, verdicts))


def differences(results, truth):
    """{gremlin: (the run's status, the whole-suite verdict)} where they differ."""
    got = statuses(results)
    return {g: (got.get(g), v) for g, v in truth.items() if got.get(g) != v}
