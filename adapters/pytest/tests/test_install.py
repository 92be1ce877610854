"""The adapter as a Python package: ``pip install ./adapters/pytest`` into a fresh virtual
environment, offline (Debian's pip, setuptools and venv), then ``pytest --gremlins`` from inside
it finds the plugin by its entry point and runs to a verdict; the plugin is registered once when
scripts/install-python-adapter.sh's copy is visible too; and with a plugin called pytest-gremlins
installed as well (a real package built here, declaring ``--gremlins`` under the same entry
point name), pytest runs, and ``--gremlins`` is pytest-gremlins' with a one-line note.
"""

import json
import os
import shutil
import subprocess
import sys

import pytest

from adapter_support import ADAPTER_DIR, CALC, REPO, clean_env, gremlin_actors_bin

STAND_IN = {
    "pyproject.toml": """[build-system]
requires = ["setuptools>=61"]
build-backend = "setuptools.build_meta"

[project]
name = "pytest-gremlins"
version = "1.1.0"
description = "a stand-in for pytest-gremlins: its options and entry point, no mutation testing"

[project.entry-points.pytest11]
gremlins = "pytest_gremlins.plugin"

[tool.setuptools]
packages = ["pytest_gremlins"]
""",
    "pytest_gremlins/__init__.py": "",
    "pytest_gremlins/plugin.py": '''def pytest_addoption(parser):
    group = parser.getgroup("gremlins", "Mutation testing (stand-in)")
    group.addoption("--gremlins", action="store_true", default=False)
    group.addoption("--gremlin-report", action="append", default=None)


def pytest_cmdline_main(config):
    if config.option.gremlins:
        print("stand-in pytest-gremlins ran")
        return 0
    return None
''',
}

NOTE = "gremlin-actors' plugin stands down"


def run(argv, **kwargs):
    kwargs.setdefault("capture_output", True)
    kwargs.setdefault("text", True)
    kwargs.setdefault("timeout", 600)
    return subprocess.run([str(a) for a in argv], **kwargs)


def bare_env(**extra):
    """No PYTHONPATH (the plugin must come from the installed package), no autoload switch."""
    env = clean_env()
    for name in ("PYTHONPATH", "PYTEST_DISABLE_PLUGIN_AUTOLOAD", "PYTEST_PLUGINS"):
        env.pop(name, None)
    env.update(extra)
    return env


@pytest.fixture(scope="module")
def venv(tmp_path_factory):
    """A fresh venv (with the system's site packages: pytest) with the adapter pip-installed."""
    base = tmp_path_factory.mktemp("venv")
    made = run([sys.executable, "-m", "venv", "--system-site-packages", base / "v"])
    python = base / "v" / "bin" / "python"
    if made.returncode != 0 or run([python, "-m", "pip", "--version"]).returncode != 0:
        pytest.skip("python3 -m venv / pip are not available (Debian: python3-venv, python3-pip): "
                    + made.stderr.strip()[-300:])
    # A copy: pip builds in the source folder (build/, *.egg-info), and tests run in parallel.
    source = shutil.copytree(ADAPTER_DIR, base / "adapter", ignore=shutil.ignore_patterns(
        "tests", "build", "*.egg-info", "__pycache__", ".gremlins"))
    proc = run([python, "-m", "pip", "install", "--no-build-isolation", "--no-index", source],
               env=bare_env())
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return python


def site_packages(python):
    return run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).stdout.strip()


PROBE = """
import pytest
class Probe:
    def pytest_configure(self, config):
        pm = config.pluginmanager
        ours = [pm.get_name(p) for p in pm.get_plugins()
                if getattr(p, "__name__", "") == "gremlins_pytest.plugin"]
        print("registered", ours, getattr(pm.get_plugin(ours[0]), "__file__", "") if ours else "")
raise SystemExit(pytest.main(["--co", "-q", "-p", "no:cacheprovider"], plugins=[Probe()]))
"""


def test_pip_install_into_a_venv_finds_the_plugin_by_entry_point(venv, tmp_path):
    project = shutil.copytree(CALC, tmp_path / "calc", ignore=shutil.ignore_patterns("__pycache__", ".gremlins"))
    probe = run([venv, "-c", PROBE], cwd=project, env=bare_env())
    assert probe.returncode == 0, probe.stdout + probe.stderr
    line = [l for l in probe.stdout.splitlines() if l.startswith("registered")][0]
    assert line.startswith("registered ['gremlins'] " + site_packages(venv)), line
    proc = run([venv, "-m", "pytest", "-p", "no:cacheprovider", "--gremlins",
                "--gremlin-operators=comparison"], cwd=project,
               env=bare_env(GREMLIN_ACTORS_BIN=gremlin_actors_bin()))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    results = json.loads((project / ".gremlins" / "results.json").read_text())
    assert results["summary"]["zapped"] > 0 and results["summary"]["error"] == 0
    run_json = json.loads((project / ".gremlins" / "run.json").read_text())
    assert run_json["python"] == str(venv)


def test_the_install_script_copy_too_registers_the_plugin_once(venv, tmp_path):
    site = tmp_path / "site"
    script = REPO / "scripts" / "install-python-adapter.sh"
    proc = run(["bash", script], env=dict(os.environ, GREMLINS_SITE_DIR=str(site),
                                          GREMLINS_PYTHON=sys.executable))
    assert proc.returncode == 0, proc.stderr
    # Both dist-infos are visible (the script's through PYTHONPATH, pip's in the venv).
    env = bare_env(PYTHONPATH=str(site))
    count = run([venv, "-c", "import importlib.metadata as m; print(sum(1 for d in m.distributions() "
                 "for e in d.entry_points if e.group == 'pytest11' and e.value == 'gremlins_pytest.plugin'))"],
                env=env)
    assert int(count.stdout) >= 2, count.stdout + count.stderr
    probe = run([venv, "-c", PROBE], cwd=tmp_path, env=env)
    assert probe.returncode == 5, probe.stdout + probe.stderr  # 5: no tests here, no crash
    assert "registered ['gremlins']" in probe.stdout


def test_the_install_script_leaves_a_pip_install_alone(venv):
    site = site_packages(venv)
    before = sorted(os.listdir(site))
    proc = run(["bash", REPO / "scripts" / "install-python-adapter.sh"],
               env=dict(os.environ, GREMLINS_SITE_DIR=site, GREMLINS_PYTHON=str(venv)))
    assert proc.returncode == 0, proc.stderr
    assert "was installed by pip; nothing to do" in proc.stdout
    assert sorted(os.listdir(site)) == before


@pytest.fixture(scope="module")
def stand_in(venv, tmp_path_factory):
    """pytest-gremlins (the stand-in) and gremlins_pytest, each pip-installed into a folder of
    its own (``pip install --target``), to put first or second on PYTHONPATH."""
    base = tmp_path_factory.mktemp("stand-in")
    source = base / "pytest-gremlins"
    for name, text in STAND_IN.items():
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        (source / name).write_text(text)
    folders = {}
    for name, path in (("theirs", source), ("ours", None)):
        if path is None:
            path = shutil.copytree(ADAPTER_DIR, base / "adapter", ignore=shutil.ignore_patterns(
                "tests", "build", "*.egg-info", "__pycache__", ".gremlins"))
        folders[name] = base / ("site-" + name)
        proc = run([venv, "-m", "pip", "install", "--no-build-isolation", "--no-index",
                    "--no-deps", "--target", folders[name], path], env=bare_env())
        assert proc.returncode == 0, proc.stdout + proc.stderr
    return folders


def both(venv, project, args, first, second=None):
    path = os.pathsep.join(str(p) for p in (first, second) if p)
    return run([venv, "-m", "pytest", "-p", "no:cacheprovider", *args], cwd=project,
               env=bare_env(PYTHONPATH=path, GREMLIN_ACTORS_BIN=gremlin_actors_bin()))


@pytest.fixture
def calc(tmp_path):
    return shutil.copytree(CALC, tmp_path / "calc", ignore=shutil.ignore_patterns("__pycache__", ".gremlins"))


def test_with_pytest_gremlins_first_it_serves_gremlins(venv, stand_in, calc):
    # Its entry point comes first: pytest loads it as `gremlins` and skips ours (same name).
    plain = both(venv, calc, [], stand_in["theirs"])
    assert plain.returncode == 0 and "21 passed" in plain.stdout, plain.stdout + plain.stderr
    proc = both(venv, calc, ["--gremlins"], stand_in["theirs"])
    assert proc.returncode == 0 and "stand-in pytest-gremlins ran" in proc.stdout, proc.stdout + proc.stderr


def test_with_ours_first_it_stands_down_for_pytest_gremlins(venv, stand_in, calc):
    # Ours comes first and takes the name `gremlins`: it registers pytest-gremlins in its place.
    plain = both(venv, calc, [], stand_in["ours"], stand_in["theirs"])
    output = plain.stdout + plain.stderr
    assert plain.returncode == 0 and "21 passed" in plain.stdout, output
    notes = [l for l in plain.stdout.splitlines() if NOTE in l]
    assert len(notes) == 1 and "pytest-gremlins is installed" in notes[0], output
    proc = both(venv, calc, ["--gremlins", "--gremlin-report=json"], stand_in["ours"], stand_in["theirs"])
    assert proc.returncode == 0 and "stand-in pytest-gremlins ran" in proc.stdout, proc.stdout + proc.stderr
    assert not (calc / ".gremlins").exists()  # gremlin-actors did not run


@pytest.mark.parametrize("order", [("pytest_gremlins.plugin", "gremlins_pytest.plugin"),
                                   ("gremlins_pytest.plugin", "pytest_gremlins.plugin")])
def test_both_loaded_with_p_in_either_order(venv, stand_in, calc, order):
    args = ["-p", order[0], "-p", order[1]]
    env_path = [stand_in["theirs"], ADAPTER_DIR]
    env = bare_env(PYTHONPATH=os.pathsep.join(map(str, env_path)), PYTEST_DISABLE_PLUGIN_AUTOLOAD="1",
                   GREMLIN_ACTORS_BIN=gremlin_actors_bin())
    plain = run([venv, "-m", "pytest", "-p", "no:cacheprovider", *args], cwd=calc, env=env)
    assert plain.returncode == 0 and "21 passed" in plain.stdout, plain.stdout + plain.stderr
    assert sum(NOTE in l for l in plain.stdout.splitlines()) == 1, plain.stdout
    proc = run([venv, "-m", "pytest", "-p", "no:cacheprovider", *args, "--gremlins"], cwd=calc, env=env)
    assert proc.returncode == 0 and "stand-in pytest-gremlins ran" in proc.stdout, proc.stdout + proc.stderr


def test_p_no_gremlins_picks_ours(venv, stand_in, calc):
    proc = both(venv, calc, ["-p", "no:gremlins", "-p", "gremlins_pytest.plugin", "--gremlins",
                             "--gremlin-operators=comparison"], stand_in["theirs"])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "stand-in" not in proc.stdout
    assert (calc / ".gremlins" / "results.json").is_file()
