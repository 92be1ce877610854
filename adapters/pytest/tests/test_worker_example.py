"""The warm worker on projects instrumented by the real instrumenter (``prepare``), started with
run.json's own ``worker_command``: every covered, non-static gremlin gets the same verdict and
killing test in warm fork mode, in warm inprocess mode and cold (a fresh interpreter per
gremlin, run.json's ``cold_command``)."""

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from test_worker import EVENT_TIMEOUT, WorkerProcess

HERE = Path(__file__).resolve().parent
ADAPTER_DIR = HERE.parent
REPO = ADAPTER_DIR.parent.parent
PROJECTS = {"examples_calc": REPO / "examples" / "calc",
            "hardcases": HERE / "projects" / "hardcases"}
TIMEOUT_MS = 1000  # a runaway gremlin (an endless generator) eats memory until killed
COLD_LIMIT_S = 30


def prepare(source, tmp_path):
    project = tmp_path / "project"
    shutil.copytree(source, project, ignore=shutil.ignore_patterns(".gremlins", "__pycache__",
                                                                   ".pytest_cache"))
    out = tmp_path / "out"
    env = dict(os.environ, PYTHONPATH=str(ADAPTER_DIR))
    env.pop("ACTIVE_GREMLIN", None)
    done = subprocess.run([sys.executable, "-m", "gremlins_pytest", "prepare", "--project",
                           str(project), "--out", str(out)], env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    run = json.loads((out / "run.json").read_text())
    manifest = json.loads(Path(run["manifest"]).read_text())
    return run, manifest


def warm_verdicts(worker, gremlins, executor):
    worker.send(*[{"op": "run", "gremlin": g["id"], "tests": g["tests"], "executor": executor,
                   "timeout_ms": TIMEOUT_MS} for g in gremlins])
    verdicts = {}
    for g in gremlins:
        result = worker.pop_result(EVENT_TIMEOUT)
        assert result["gremlin"] == g["id"]
        verdicts[g["id"]] = (result["status"], result["killing_test"])
    return verdicts


def cold_verdict(run, gremlin, report):
    env = dict(os.environ, **run["env"], ACTIVE_GREMLIN=gremlin)
    proc = subprocess.Popen(run["cold_command"] + ["--report", str(report)], cwd=run["project"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        proc.wait(COLD_LIMIT_S)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    outcome = json.loads(report.read_text())
    status = {0: "survived", 1: "zapped"}.get(outcome["exit_code"], "error")
    return status, outcome["killing_test"]


@pytest.mark.parametrize("name", sorted(PROJECTS))
def test_warm_fork_inprocess_and_cold_verdicts_agree(name, tmp_path):
    if not (PROJECTS[name] / "tests").is_dir():
        pytest.skip("%s is not there yet" % PROJECTS[name])
    run, manifest = prepare(PROJECTS[name], tmp_path)
    gremlins = [g for g in manifest["gremlins"] if g["tests"] and not g["static"]]
    assert len(gremlins) >= 20
    # Started exactly as the runtime does: run.json's argv and env, in the project's folder.
    worker = WorkerProcess(tmp_path, Path(run["project"]), env=dict(run["env"]),
                           command=run["worker_command"])
    try:
        assert worker.ready()["tests"] == len(manifest["tests"])
        fork = warm_verdicts(worker, gremlins, "fork")
        inprocess = warm_verdicts(worker, gremlins, "inprocess")
        worker.send({"op": "shutdown"})
        assert worker.wait() == 0
    finally:
        worker.cleanup()
    assert fork == inprocess
    assert all(status != "error" for status, _ in fork.values()), fork
    statuses = [status for status, _ in fork.values()]
    assert "zapped" in statuses and "survived" in statuses
    for g in gremlins:
        if fork[g["id"]][0] == "timeout":
            continue  # cold has no time limit of its own: the runaway would only eat memory
        assert cold_verdict(run, g["id"], tmp_path / "cold.json") == fork[g["id"]], g
