"""End to end through the real ``gremlin-actors`` CLI (``run --pytest``) on copies of
examples/calc (flat layout) and tests/projects/hardcases (src layout, hard cases):

- every gremlin's verdict in warm fork mode equals its verdict in cold mode (``--executor
  subprocess``: each gremlin in a fresh interpreter running its covering tests),
- no gremlin ends in ``error``,
- survivors are on the console with file:line and description,
- results.json lands in the project's ``.gremlins/``,
- ``pytest --gremlins --gremlin-parallel --gremlin-workers=2`` in the project gives the same
  verdicts, and the inprocess executor too (calc).

Every run here uses a fixed time limit (TIME_LIMIT_S, through the project's
gremlin-actors.toml, so that ``pytest --gremlins`` gets it too): the adaptive limit comes from one
baseline sample, and on a loaded machine a cold run (interpreter start-up included) was seen to
take longer than it, which turns zapped or survived gremlins into timeouts on one side only.
hardcases has one real runaway (a countdown generator mutated to count up): it costs
TIME_LIMIT_S per run.

Needs the built CLI in $GREMLIN_ACTORS_BIN (tests/run-adapter-tests.sh sets it): without it
these tests FAIL, on purpose, so that a run that forgot the binary never looks green.
"""

import json
import os
import re
import shutil
import subprocess
import sys

import pytest

from adapter_support import ADAPTER_DIR, CALC, HARDCASES

PROJECTS = {"calc": CALC, "hardcases": HARDCASES}
TIME_LIMIT_S = 8  # per gremlin; see above
RUN_LIMIT_S = 300  # generous: the machine may be shared; a hang still ends


def binary():
    path = os.environ.get("GREMLIN_ACTORS_BIN")
    if not path:
        pytest.fail("GREMLIN_ACTORS_BIN is not set: build gremlin-actors and run "
                    "tests/run-adapter-tests.sh <path-of-gremlin-actors>", pytrace=False)
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        pytest.fail("GREMLIN_ACTORS_BIN=%s is not an executable file" % path, pytrace=False)
    return path


def clean_env():
    env = dict(os.environ)
    for name in ("ACTIVE_GREMLIN", "PYTEST_ADDOPTS", "GREMLIN_INSTRUMENTED_DIR"):
        env.pop(name, None)
    env["NO_COLOR"] = "1"
    return env


def run(argv, cwd, env=None):
    proc = subprocess.run(argv, cwd=str(cwd), env=env or clean_env(), stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=RUN_LIMIT_S)
    return proc


def read_results(path):
    data = json.loads(path.read_text())
    assert data["schema"] == "gremlin-actors/results/1", path
    return data


def verdicts(data):
    return {r["gremlin_id"]: r["status"] for r in data["results"]}


class ProjectRuns:
    """One copy of a sample project; each mode is run once and its results kept."""

    def __init__(self, name, root):
        self.name = name
        self.root = root
        self.runs = {}

    def cli(self, executor):
        """``gremlin-actors run --pytest`` with 2 workers; (process, results). The fork run
        writes to the default .gremlins/results.json, the others to their own file."""
        if executor in self.runs:
            return self.runs[executor]
        argv = [binary(), "run", "--pytest", "--project", str(self.root), "--python",
                sys.executable, "--parallel", "--workers", "2", "--executor", executor,
                "--show-all", "--no-color", "--no-store"]  # each executor tests every gremlin
        default = self.root / ".gremlins" / "results.json"
        target = default
        if executor != "fork":
            target = self.root.parent / ("%s-%s.json" % (self.name, executor))
            argv += ["--json", str(target)]
        elif default.exists():
            default.unlink()
        proc = run(argv, self.root)
        assert proc.returncode == 0, "%s\n%s" % (proc.stdout, proc.stderr)
        assert target.is_file(), "no results at %s\n%s" % (target, proc.stderr)
        self.runs[executor] = (proc, read_results(target))
        if executor == "fork":  # kept apart: a later run in the project writes the same file
            shutil.copy(default, self.root.parent / ("%s-fork.json" % self.name))
        return self.runs[executor]

    def plugin(self):
        """``pytest --gremlins --gremlin-parallel --gremlin-workers=2`` in the project."""
        if "plugin" in self.runs:
            return self.runs["plugin"]
        default = self.root / ".gremlins" / "results.json"
        if default.exists():
            default.unlink()
        env = clean_env()
        env["GREMLIN_ACTORS_BIN"] = binary()
        env["PYTHONPATH"] = str(ADAPTER_DIR)
        env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"  # loaded exactly once, by -p
        proc = run([sys.executable, "-m", "pytest", "-p", "gremlins_pytest.plugin", "-p",
                    "no:cacheprovider", "--gremlins", "--gremlin-clear-cache", "--gremlin-parallel",
                    "--gremlin-workers=2"], self.root, env)
        assert proc.returncode == 0, "%s\n%s" % (proc.stdout, proc.stderr)
        assert default.is_file(), proc.stdout + proc.stderr
        self.runs["plugin"] = (proc, read_results(default))
        return self.runs["plugin"]


@pytest.fixture(scope="module", params=sorted(PROJECTS))
def project(request, tmp_path_factory):
    base = tmp_path_factory.mktemp("e2e-" + request.param)
    root = shutil.copytree(PROJECTS[request.param], base / request.param,
                           ignore=shutil.ignore_patterns(".gremlins", "__pycache__",
                                                         ".pytest_cache"))
    (root / "gremlin-actors.toml").write_text("timeout = %d\n" % TIME_LIMIT_S)
    return ProjectRuns(request.param, root)


def test_warm_fork_verdicts_equal_cold_verdicts(project):
    _, fork = project.cli("fork")
    _, cold = project.cli("subprocess")
    assert fork["pool"]["executor"] == "fork"
    assert cold["pool"]["executor"] == "subprocess"
    warm, fresh = verdicts(fork), verdicts(cold)
    assert len(warm) >= 20
    assert warm.keys() == fresh.keys()
    differ = {g: (warm[g], fresh[g]) for g in warm if warm[g] != fresh[g]}
    assert not differ, "gremlin: (warm fork, cold)"
    statuses = set(warm.values())
    assert {"zapped", "survived"} <= statuses, statuses


def test_no_gremlin_ends_in_error(project):
    for executor in ("fork", "subprocess"):
        _, data = project.cli(executor)
        errors = [r for r in data["results"] if r["status"] == "error"]
        assert not errors, (executor, errors)
        assert data["summary"]["error"] == 0


def test_survivors_are_on_the_console_with_file_line_and_description(project):
    proc, data = project.cli("fork")
    survivors = [r for r in data["results"] if r["status"] == "survived"]
    assert survivors
    console = proc.stdout
    assert re.search(r"^Survived \(%d\):$" % len(survivors), console, re.M), console
    for r in survivors:
        assert r["file"] and r["line"] > 0 and r["description"], r
        assert not os.path.isabs(r["file"]), r
        line = "  %s:%d  %s" % (r["file"], r["line"], r["description"])
        shown = [l for l in console.splitlines()
                 if l.startswith(line) and l.endswith("[%s]" % r["gremlin_id"])]
        assert shown, "%s not on the console:\n%s" % (line, console)


def test_results_json_lands_in_dot_gremlins(project):
    project.cli("fork")
    saved = project.root.parent / ("%s-fork.json" % project.name)
    data = read_results(saved)
    assert data["summary"]["total"] == len(data["results"])
    manifest = json.loads((project.root / ".gremlins" / "manifest.json").read_text())
    assert sorted(verdicts(data)) == sorted(g["id"] for g in manifest["gremlins"])


def test_pytest_gremlins_plugin_gives_the_same_verdicts(project):
    _, fork = project.cli("fork")
    proc, plugin = project.plugin()
    assert plugin["pool"]["workers"] == 2
    assert verdicts(plugin) == verdicts(fork)
    assert "passed" not in proc.stdout.splitlines()[-1:]  # no ordinary test session instead


@pytest.mark.parametrize("project", ["calc"], indirect=True)  # calc only: keeps it short
def test_inprocess_executor_gives_the_same_verdicts(project):
    _, fork = project.cli("fork")
    _, inprocess = project.cli("inprocess")
    assert inprocess["pool"]["executor"] == "inprocess"
    assert verdicts(inprocess) == verdicts(fork)
