"""Static (import-time) gremlins in the warm worker's zygote (worker/zygote.py), driven as real
processes through real pipes: the verdicts equal the cold runner's, hangs time out, nothing
outlives the worker; and through the real CLI on a project full of import-time code
(tests/projects/import_time), where every executor gives the same verdicts."""

import concurrent.futures
import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from adapter_support import (ADAPTER_DIR, PROJECTS, cli_run, clean_env, copy_project,
                             statuses, whole_suite_verdicts)
from test_worker import parent_of, wait_gone, WorkerProcess

SWITCH = textwrap.dedent('''\
    import os

    active = os.environ.get("ACTIVE_GREMLIN") or None


    def set_active(gremlin):
        global active
        active = gremlin
    ''')
MODULE = textwrap.dedent('''\
    import _gremlins_switch as S

    if S.active == "g_hang_import":
        while True:
            pass
    VALUE = 2 if S.active == "g_const" else 1
    LABEL = "b" if S.active == "g_label" else "a"
    ''')
TESTS = textwrap.dedent('''\
    import mod


    def test_value():
        assert mod.VALUE == 1


    def test_label_exists():
        assert mod.LABEL
    ''')
STATIC = ("g_const", "g_label", "g_hang_import")


def write_project(root):
    """A project, its hand-written instrumented copy and the run.json/manifest prepare would
    write: three static gremlins (a caught constant, a surviving one, a hang at import)."""
    project, inst, out = root / "project", root / "instrumented", root / "gremlins"
    for d in (project, inst, out):
        d.mkdir()
    # Only the instrumented copy of mod: this stand-in switch installs no finder that would
    # make it win over a project copy in the cold runner.
    (project / "test_mod.py").write_text(TESTS)
    (inst / "mod.py").write_text(MODULE)
    (inst / "_gremlins_switch.py").write_text(SWITCH)
    tests = ["test_mod.py::test_value", "test_mod.py::test_label_exists"]
    (out / "manifest.json").write_text(json.dumps({"version": 1, "gremlins": [
        {"id": g, "tests": tests, "static": True, "zygote": True} for g in STATIC]}))
    env = {"PYTHONPATH": os.pathsep.join([str(inst), str(ADAPTER_DIR)])}
    (out / "run.json").write_text(json.dumps({
        "version": 1, "python": sys.executable, "project": str(project),
        "gremlins_dir": str(out), "manifest": str(out / "manifest.json"),
        "instrumented_dir": str(inst), "env": env,
        "pytest_args": ["-p", "no:cacheprovider"]}))
    return project, out, tests, env


def cold_status(project, out, gremlin, env):
    """The cold runner's verdict for gremlin, as the runtime classifies it by default."""
    full = dict(os.environ, **env)
    full["ACTIVE_GREMLIN"] = gremlin
    proc = subprocess.run([sys.executable, "-m", "gremlins_pytest.cold", "--gremlins-dir",
                           str(out)], cwd=str(project), env=full, capture_output=True,
                          text=True, timeout=120)
    if proc.returncode in (2, 3, 4, 5):
        return "error"
    return "survived" if proc.returncode == 0 else "zapped"


@pytest.fixture
def zygote_worker(tmp_path):
    project, out, tests, env = write_project(tmp_path)
    worker = WorkerProcess(tmp_path, project, ("--gremlins-dir", str(out)), env=env)
    yield worker, project, out, tests, env
    worker.cleanup()


def run(gremlin, tests, **fields):
    return dict({"op": "run", "gremlin": gremlin, "tests": list(tests)}, **fields)


def test_static_gremlins_get_the_cold_runners_verdicts(zygote_worker):
    worker, project, out, tests, env = zygote_worker
    worker.ready()
    worker.send(run("g_const", tests), run("g_label", tests), run("g_add_none", tests))
    got = {}
    for _ in range(3):
        result = worker.pop_result()
        got[result["gremlin"]] = result
    assert got["g_const"]["status"] == "zapped" == cold_status(project, out, "g_const", env)
    assert got["g_const"]["killing_test"] == "test_mod.py::test_value"
    assert got["g_label"]["status"] == "survived" == cold_status(project, out, "g_label", env)
    # Not static: the ordinary fork executor, in the worker's own collected session.
    assert got["g_add_none"]["status"] == "survived"


def test_a_static_gremlin_runs_in_a_child_of_the_zygote_not_of_the_worker(zygote_worker):
    worker, project, out, tests, env = zygote_worker
    worker.ready()
    worker.send(run("g_hang_import", tests, timeout_ms=60000))
    started = worker.pop()
    assert started["event"] == "started"
    parent = parent_of(started["pid"])
    assert parent is not None and parent != worker.proc.pid
    assert parent_of(parent) == worker.proc.pid  # the zygote is the worker's child
    assert os.getpgid(started["pid"]) == started["pid"]  # leads its own group
    worker.proc.kill()  # SIGKILL: the zygote and its child must go too (parent-death signals)
    worker.wait()
    assert wait_gone(started["pid"]) and wait_gone(parent)


def test_a_static_gremlin_hanging_at_import_times_out_and_the_zygote_stays(zygote_worker):
    worker, project, out, tests, env = zygote_worker
    worker.ready()
    worker.send(run("g_hang_import", tests, timeout_ms=1500), run("g_const", tests))
    hung = worker.pop_result()
    assert hung["status"] == "timeout" and "zygote" in hung["output"], hung
    assert wait_gone(worker.started_pids[0])
    assert worker.pop_result()["status"] == "zapped"  # the zygote still serves


def test_a_static_gremlin_with_an_unknown_test_is_an_error(zygote_worker):
    worker, project, out, tests, env = zygote_worker
    worker.ready()
    worker.send(run("g_const", ["test_mod.py::nope"]))
    result = worker.pop_result()
    assert result["status"] == "error" and "unknown test id" in result["output"]


def test_the_zygote_imported_nothing_of_the_project(zygote_worker, tmp_path):
    """Had the zygote imported mod (or the worker before forking it), g_const's constant
    would be fixed at 1 and the gremlin would survive: zapped shows a fresh import."""
    worker, project, out, tests, env = zygote_worker
    worker.ready()
    for _ in range(2):  # and again: each child starts from the untouched zygote
        worker.send(run("g_const", tests))
        assert worker.pop_result()["status"] == "zapped"
    worker.send(run("g_label", tests))
    assert worker.pop_result()["status"] == "survived"


def test_phase_timestamps_when_asked(tmp_path):
    """GREMLIN_WORKER_TIMING=FILE: one line per answered request, with the phases of its
    executor (worker/timing.py), for the benches."""
    project, out, tests, env = write_project(tmp_path)
    timing = tmp_path / "timing.jsonl"
    worker = WorkerProcess(tmp_path, project, ("--gremlins-dir", str(out)),
                           env=dict(env, GREMLIN_WORKER_TIMING=str(timing)))
    try:
        worker.ready()
        worker.send(run(None, tests), run("g_const", tests), run(None, tests, executor="inprocess"))
        for _ in range(3):
            worker.pop_result()
        # A request's line is written once its result is sent (the "sent" time is in it):
        # the third may still be on its way when its result arrives.
        deadline = time.monotonic() + 30
        while len(timing.read_text().splitlines()) < 3 and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        worker.cleanup()
    lines = [json.loads(line) for line in timing.read_text().splitlines()]
    assert [line["executor"] for line in lines] == ["fork", "zygote", "inprocess"]
    cpu = [line["cpu_us"] for line in lines]
    assert 0 < cpu[0] <= cpu[1] <= cpu[2]  # the worker's, its children's, the zygote's
    fork, zygote, inprocess = (line["t"] for line in lines)
    order = ["request", "fork", "child", "setup", "tests_done", "verdict_sent", "verdict",
             "reaped", "sent"]
    assert [fork[k] for k in order] == sorted(fork[k] for k in order)
    assert fork["fork"] <= fork["forked"] <= fork["verdict"]
    assert fork["tests_s"] > 0
    assert zygote["request"] <= zygote["forked"] <= zygote["reaped"] <= zygote["sent"]
    assert inprocess["request"] <= inprocess["setup"] <= inprocess["tests_done"] <= inprocess["sent"]


# --- through the real CLI ------------------------------------------------------------------

def test_import_time_project_every_executor_gives_the_whole_suite_verdicts(tmp_path):
    """tests/projects/import_time: constants, a default argument, a decorator's argument and
    body, a class body, __future__ imports and a conftest importing the code under test.
    Warm fork (static gremlins in the zygote, interleaved with the others), inprocess and cold
    give the same verdicts, and those of the whole suite in a fresh pytest per gremlin."""
    project = copy_project("import_time", tmp_path / "import_time")
    timing = tmp_path / "timing.jsonl"
    results = {}
    for executor in ("fork", "inprocess", "subprocess"):
        env = clean_env({"GREMLIN_WORKER_TIMING": str(timing)} if executor == "fork" else None)
        proc, data = cli_run(project, executor, tmp_path / ("%s.json" % executor), env=env)
        assert data is not None, proc.stderr[-3000:]
        results[executor] = statuses(data)
    manifest = json.loads((project / ".gremlins" / "manifest.json").read_text())
    static = {g["id"] for g in manifest["gremlins"] if g["static"]}
    assert len(static) >= 10 and all(g.get("zygote") for g in manifest["gremlins"] if g["static"])
    truth = whole_suite_verdicts(project, tmp_path)
    for executor, got in results.items():
        assert {g: s for g, s in got.items() if g in truth} == truth, executor
    assert {truth[g] for g in static} == {"zapped", "survived"}
    ran = [json.loads(line) for line in timing.read_text().splitlines()]
    in_zygote = {line["gremlin"] for line in ran if line["executor"] == "zygote"}
    assert in_zygote == static  # warm: none of them went to a cold run
