"""pytest's own arguments through ``gremlin-actors run --pytest -- ARGS`` and ``pytest --gremlins
ARGS``: the baseline, the coverage, the warm workers (fork, inprocess) and the cold runs all
use them, and a deselected test never covers a gremlin.

The project (tests/projects/pytest_args) needs every one of them: without ``-p no:failplugin``
every test fails; ``-m "not slow"``, ``-k "not keyword"`` and the path ``tests/unit`` each
deselect the only test of one function; ``-o demo_mode=on`` runs test_moded and makes test_weak
strict.  A run whose workers or cold runs missed an argument gives other verdicts.
"""

import json
import os
import subprocess
import sys

import pytest

from adapter_support import ADAPTER_DIR, EXECUTORS, clean_env, cli_run, copy_project, gremlin_actors_bin

ARGS = ["tests/unit", "-m", "not slow", "-k", "not keyword", "-p", "no:failplugin",
        "-o", "demo_mode=on"]
#: A fixed, generous time limit: on this shared machine the load alone must not give timeouts.
OPERATORS = ["--operators", "arithmetic,comparison", "--timeout", "60"]

#: pkg/core.py's functions by line, and what each gremlin there must be with ARGS.
EXPECTED = {
    2: "zapped",        # fast: test_fast
    6: "no_coverage",   # slow: only test_slow, deselected by -m "not slow"
    10: "no_coverage",  # keyword: only test_keyword_only, deselected by -k "not keyword"
    14: "no_coverage",  # other: only tests/other, not collected with the path tests/unit
    18: "zapped",       # moded: test_moded runs only with -o demo_mode=on
    22: "zapped",       # weak: > to >= is caught only by the strict test_weak (demo_mode=on)
    26: "survived",     # loose: x * 1 to x / 1 is equivalent (every test fails with failplugin)
}


def by_line(results):
    """{line: set of statuses} of a results file."""
    out = {}
    for r in results["results"]:
        out.setdefault(r["line"], set()).add(r["status"])
    return out


def expected_by_line():
    return {line: {status} for line, status in EXPECTED.items()}


@pytest.fixture
def project(tmp_path):
    return copy_project("pytest_args", tmp_path / "pytest_args")


@pytest.mark.parametrize("executor", EXECUTORS)
def test_cli_runs_everything_with_the_pytest_arguments(project, tmp_path, executor):
    proc, results = cli_run(project, executor, tmp_path / "r.json", *OPERATORS, "--", *ARGS)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    assert results["pool"]["executor"] == executor
    assert by_line(results) == expected_by_line(), output
    run = json.loads((project / ".gremlins" / "run.json").read_text())
    assert run["user_pytest_args"] == ARGS
    at = run["pytest_args"].index(ARGS[0])
    assert run["pytest_args"][at:at + len(ARGS)] == ARGS
    # The prepare step's path line (for callers that read it) is not echoed to the user.
    assert str(project / ".gremlins" / "run.json") not in output


def test_a_deselected_test_never_covers_a_gremlin(project):
    subprocess.run([gremlin_actors_bin(), "run", "--pytest", "--python", sys.executable,
                    "--no-store", *OPERATORS, "--", "-p", "no:failplugin", "-k", "not keyword"],
                   cwd=project, env=clean_env(), capture_output=True, timeout=300, check=True)
    manifest = json.loads((project / ".gremlins" / "manifest.json").read_text())
    tests = {g["line"]: g["tests"] for g in manifest["gremlins"]}
    assert tests[10] == []
    assert "tests/unit/test_core.py::test_keyword_only" not in manifest["tests"]
    assert tests[14] == ["tests/other/test_other.py::test_other"]


def test_without_the_arguments_the_baseline_fails(project, tmp_path):
    proc, _ = cli_run(project, "fork", tmp_path / "r.json", *OPERATORS)
    assert proc.returncode == 4, proc.stdout + proc.stderr
    assert "failplugin is loaded" in proc.stdout + proc.stderr


@pytest.mark.parametrize("args, message", [
    (["--no-such-option"], "pytest refused the arguments given after --: --no-such-option"),
    (["-p", "no:failplugin", "-k", "no_test_is_called_this"],
     "the pytest arguments given after -- select no test: -p no:failplugin -k no_test_is_called_this"),
])
def test_arguments_pytest_refuses_are_bad_input(project, tmp_path, args, message):
    proc, results = cli_run(project, "fork", tmp_path / "r.json", *OPERATORS, "--", *args)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert message in proc.stderr
    assert results is None


def test_other_arguments_do_not_reuse_stored_verdicts(project):
    def run(*args):
        argv = [gremlin_actors_bin(), "run", "--pytest", "--python", sys.executable,
                "--no-color", *OPERATORS, "--", *args]
        proc = subprocess.run(argv, cwd=project, env=clean_env(), capture_output=True,
                              text=True, timeout=300)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        results = json.loads((project / ".gremlins" / "results.json").read_text())
        weak = [r for r in results["results"] if r["line"] == 22 and r["replacement"] == ">="]
        return weak[0], proc.stderr

    strict = ["-p", "no:failplugin", "-o", "demo_mode=on"]
    first, _ = run(*strict)
    assert first["status"] == "zapped" and not first.get("reused")
    # Same tests cover `weak` without -o, but test_weak is lenient then: tested again.
    lenient, _ = run("-p", "no:failplugin")
    assert lenient["status"] == "survived" and not lenient.get("reused")
    again, err = run(*strict)
    assert again["status"] == "zapped" and not again.get("reused")
    reused, err = run(*strict)
    assert reused["status"] == "zapped" and reused.get("reused") is True, err


def plugin_env():
    env = clean_env({"GREMLIN_ACTORS_BIN": gremlin_actors_bin(), "PYTHONPATH": str(ADAPTER_DIR),
                     "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"})  # loaded once, by -p
    return env


@pytest.mark.parametrize("executor", EXECUTORS)
def test_plugin_passes_the_arguments_pytest_was_given(project, executor):
    (project / "gremlin-actors.toml").write_text('executor = "%s"\ntimeout = 60\n' % executor)
    # From the tests folder: the path `unit` is relative to it, as pytest reads it.
    argv = [sys.executable, "-m", "pytest", "-p", "gremlins_pytest.plugin", "--gremlins",
            "unit", "-m", "not slow", "-k", "not keyword", "-p", "no:failplugin",
            "-o", "demo_mode=on", "--gremlin-operators", "arithmetic,comparison",
            "--gremlin-clear-cache"]
    proc = subprocess.run(argv, cwd=project / "tests", env=plugin_env(), capture_output=True,
                          text=True, timeout=300)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    results = json.loads((project / ".gremlins" / "results.json").read_text())
    assert results["pool"]["executor"] == executor
    assert by_line(results) == expected_by_line(), output
    run = json.loads((project / ".gremlins" / "run.json").read_text())
    # Without the plugin's options and without `-p gremlins_pytest.plugin`.
    assert run["user_pytest_args"] == ARGS


def test_the_command_key_of_the_configuration_file_is_pytest_s_arguments(project):
    (project / "gremlin-actors.toml").write_text(
        'command = ["-p", "no:failplugin", "-k", "not keyword"]\noperators = ["arithmetic"]\n')
    proc = subprocess.run([gremlin_actors_bin(), "run", "--pytest", "--python", sys.executable,
                           "--no-store"], cwd=project, env=clean_env(), capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    run = json.loads((project / ".gremlins" / "run.json").read_text())
    assert run["user_pytest_args"] == ["-p", "no:failplugin", "-k", "not keyword"]


XDIST_PLUGIN = """import pytest


def _count(value):
    return value if value in ("auto", "logical") else int(value)


def pytest_addoption(parser):
    group = parser.getgroup("xdist", "distributed testing (stand-in)")
    group._addoption("-n", "--numprocesses", dest="numprocesses", type=_count, default=None)  # as xdist does


def _distributed(config):
    return config.getoption("numprocesses") not in (None, 0)


@pytest.hookimpl(tryfirst=True)
def pytest_collection(session):
    # As pytest-xdist's controller: the tests are collected and run in other processes.
    return True if _distributed(session.config) else None


@pytest.hookimpl(tryfirst=True)
def pytest_runtestloop(session):
    if _distributed(session.config):
        session.testscollected = 1  # what the workers ran, all passed
        return True
    return None
"""


@pytest.fixture
def xdist(tmp_path):
    """A stand-in pytest-xdist (its entry point name, module names and ``-n``), on PYTHONPATH:
    with ``-n N`` no test runs in the process pytest was started in, as with the real one."""
    site = tmp_path / "xdist-site"
    (site / "xdist").mkdir(parents=True)
    (site / "xdist" / "__init__.py").write_text("")
    (site / "xdist" / "plugin.py").write_text(XDIST_PLUGIN)
    dist = site / "pytest_xdist-3.1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: pytest-xdist\nVersion: 3.1.0\n")
    (dist / "entry_points.txt").write_text("[pytest11]\nxdist = xdist.plugin\n")
    return site


@pytest.mark.parametrize("executor", ["fork", "subprocess"])
def test_a_project_that_runs_under_xdist_is_run_in_process(tmp_path, xdist, executor):
    from adapter_support import CALC, statuses
    plain = copy_project(CALC, tmp_path / "plain")
    _, expected = cli_run(plain, executor, tmp_path / "plain.json", "--operators", "comparison")
    project = copy_project(CALC, tmp_path / "calc")
    with open(project / "pytest.ini", "a") as ini:
        ini.write("addopts = -n 2\n")
    env = clean_env({"PYTHONPATH": os.pathsep.join([str(xdist), os.environ.get("PYTHONPATH", "")])})
    proc, results = cli_run(project, executor, tmp_path / "r.json", "--operators", "comparison", env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert statuses(results) == statuses(expected)
    assert results["summary"]["zapped"] > 0
    run = json.loads((project / ".gremlins" / "run.json").read_text())
    assert run["pytest_args"][-4:] == ["-p", "xdist", "-n", "0"]
