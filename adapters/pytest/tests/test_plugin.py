"""``pytest --gremlins`` (the plugin) and scripts/install-python-adapter.sh.

The plugin is driven with a stand-in gremlin-actors (a script that records its argv and exits
with 3), so the command line it builds and the exit code it returns are checked without the
C++ CLI.  The end-to-end run through the real CLI is the last test: it needs a
gremlin-actors binary whose ``run --pytest`` works (GREMLIN_ACTORS_BIN, given by
tests/run-adapter-tests.sh) and is skipped otherwise.
"""

import importlib.util
import json
import os
import shutil
import subprocess
import sys

import pytest

from adapter_support import ADAPTER_DIR, CALC, REPO

FAKE_CLI = """#!/bin/sh
printf '%s\\n' "$@" > "{log}"
exit 3
"""


def env_with(**extra):
    env = dict(os.environ)
    env.pop("ACTIVE_GREMLIN", None)
    # The plugin may also be installed system-wide (entry point): load it exactly once, by -p.
    env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    env["PYTHONPATH"] = str(ADAPTER_DIR)
    env.update(extra)
    return env


def run_pytest(project, args, env):
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "gremlins_pytest.plugin",
                           "-p", "no:cacheprovider", *args], cwd=project, env=env,
                          capture_output=True, text=True, timeout=600)


@pytest.fixture
def project(tmp_path):
    return shutil.copytree(CALC, tmp_path / "calc",
                           ignore=shutil.ignore_patterns("__pycache__", ".gremlins"))


@pytest.fixture
def fake_cli(tmp_path):
    log = tmp_path / "argv.txt"
    script = tmp_path / "fake-gremlin-actors"
    script.write_text(FAKE_CLI.format(log=log))
    script.chmod(0o755)
    return script, log


def test_gremlins_option_runs_gremlin_actors_with_the_plugin_flags(project, fake_cli):
    script, log = fake_cli
    proc = run_pytest(project, ["--gremlins", "--gremlin-parallel", "--gremlin-workers=2",
                                "--gremlin-batch", "--gremlin-batch-size=5",
                                "--gremlin-operators=comparison,return",
                                "--gremlin-targets=calc/arith.py"],
                      env_with(GREMLIN_ACTORS_BIN=str(script)))
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert log.read_text().splitlines() == [
        "run", "--pytest", "--project", str(project), "--python", sys.executable,
        "--parallel", "--workers", "2", "--batch", "--batch-size", "5",
        "--operators", "comparison,return", "--targets", "calc/arith.py"]
    assert "passed" not in proc.stdout  # the normal test session did not run


def test_plain_flags_give_the_plain_command(project, fake_cli):
    script, log = fake_cli
    proc = run_pytest(project, ["--gremlins"], env_with(GREMLIN_ACTORS_BIN=str(script)))
    assert proc.returncode == 3
    assert log.read_text().splitlines() == ["run", "--pytest", "--project", str(project),
                                            "--python", sys.executable]


def test_cache_flags_map_to_the_results_store(project, fake_cli):
    script, log = fake_cli
    proc = run_pytest(project, ["--gremlins", "--gremlin-cache"], env_with(GREMLIN_ACTORS_BIN=str(script)))
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert "--force" not in log.read_text().splitlines()  # the store is on with --pytest anyway
    proc = run_pytest(project, ["--gremlins", "--gremlin-clear-cache"], env_with(GREMLIN_ACTORS_BIN=str(script)))
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert log.read_text().splitlines()[-1] == "--force"


def test_without_gremlins_the_plugin_does_nothing(project, fake_cli):
    script, log = fake_cli
    proc = run_pytest(project, ["-q"], env_with(GREMLIN_ACTORS_BIN=str(script)))
    assert proc.returncode == 0 and "21 passed" in proc.stdout
    assert not log.exists()


def test_unusable_binary_is_a_clear_error(project, tmp_path):
    missing = tmp_path / "no-such-gremlin-actors"
    proc = run_pytest(project, ["--gremlins"], env_with(GREMLIN_ACTORS_BIN=str(missing)))
    assert proc.returncode == 2 and str(missing) in proc.stderr


def test_install_script_registers_package_and_plugin(tmp_path):
    site_dir = tmp_path / "site"
    script = REPO / "scripts" / "install-python-adapter.sh"
    for _ in range(2):  # idempotent
        proc = subprocess.run(["bash", str(script)], env=dict(os.environ,
                              GREMLINS_SITE_DIR=str(site_dir), GREMLINS_PYTHON=sys.executable),
                              capture_output=True, text=True, timeout=60)
        assert proc.returncode == 0, proc.stderr
    assert (site_dir / "gremlins_pytest.pth").read_text().strip() == str(ADAPTER_DIR)
    assert sorted(p.name for p in site_dir.iterdir()) == ["gremlins_pytest-0.1.0.dist-info",
                                                         "gremlins_pytest.pth"]
    # A bare interpreter (-S: no system site folders) that only gets the install folder and
    # pytest's own folder must import the package and auto-load the plugin.
    pytest_dir = os.path.dirname(os.path.dirname(importlib.util.find_spec("pytest").origin))
    probe = (
        "import site, sys\n"
        "site.addsitedir(%r)\n"
        "sys.path.append(%r)\n"
        "import importlib.metadata as md, gremlins_pytest\n"
        "eps = [e.value for e in md.entry_points(group='pytest11') if e.name == 'gremlins']\n"
        "print(gremlins_pytest.__file__)\n"
        "print(eps)\n"
        "import pytest\n"
        "sys.exit(pytest.main(['--help']))\n" % (str(site_dir), pytest_dir))
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTEST_PLUGINS")}
    proc = subprocess.run([sys.executable, "-S", "-c", probe], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].startswith(str(ADAPTER_DIR))
    assert lines[1] == "['gremlins_pytest.plugin']"
    assert "--gremlins" in proc.stdout and "--gremlin-batch-size" in proc.stdout


def cli_supports_pytest(binary):
    if not binary or not os.access(binary, os.X_OK):
        return False
    proc = subprocess.run([binary, "run", "--help"], capture_output=True, text=True, timeout=60)
    return proc.returncode == 0 and "--pytest" in proc.stdout + proc.stderr


@pytest.mark.skipif(not cli_supports_pytest(os.environ.get("GREMLIN_ACTORS_BIN")),
                    reason="needs GREMLIN_ACTORS_BIN with a working `run --pytest`")
def test_pytest_gremlins_end_to_end_through_the_cli(project):
    proc = run_pytest(project, ["--gremlins", "--gremlin-parallel", "--gremlin-workers=2"],
                      env_with())
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    results = project / ".gremlins"
    assert (results / "manifest.json").exists()
    assert "survived" in output.lower()
    json_files = [p for p in results.iterdir() if p.suffix == ".json"
                  and p.name not in ("manifest.json", "run.json", "baseline-coverage.json")]
    for path in json_files:
        data = json.loads(path.read_text())
        if isinstance(data, dict) and data.get("schema") == "gremlin-actors/results/1":
            assert data["summary"]["error"] == 0
            assert data["summary"]["zapped"] > 0 and data["summary"]["survived"] > 0
