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
import re
import shutil
import signal
import subprocess
import sys
import time

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
        "--operators", "comparison,return", "--targets", "calc/arith.py",
        "--", "-p", "no:cacheprovider"]  # pytest's own arguments, without the plugin's
    assert "passed" not in proc.stdout  # the normal test session did not run


def test_plain_flags_give_the_plain_command(project, fake_cli):
    script, log = fake_cli
    proc = run_pytest(project, ["--gremlins"], env_with(GREMLIN_ACTORS_BIN=str(script)))
    assert proc.returncode == 3
    assert log.read_text().splitlines() == ["run", "--pytest", "--project", str(project),
                                            "--python", sys.executable,
                                            "--", "-p", "no:cacheprovider"]


def test_cache_flags_map_to_the_results_store(project, fake_cli):
    script, log = fake_cli
    proc = run_pytest(project, ["--gremlins", "--gremlin-cache"], env_with(GREMLIN_ACTORS_BIN=str(script)))
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert "--force" not in log.read_text().splitlines()  # the store is on with --pytest anyway
    proc = run_pytest(project, ["--gremlins", "--gremlin-clear-cache"], env_with(GREMLIN_ACTORS_BIN=str(script)))
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert log.read_text().splitlines()[-4:] == ["--force", "--", "-p", "no:cacheprovider"]


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


def test_gremlin_batch_alone_uses_every_cpu(project, fake_cli):
    script, log = fake_cli
    run_pytest(project, ["--gremlins", "--gremlin-batch"], env_with(GREMLIN_ACTORS_BIN=str(script)))
    argv = log.read_text().splitlines()
    assert "--parallel" in argv and "--batch" in argv and "--workers" not in argv
    run_pytest(project, ["--gremlins", "--gremlin-batch", "--gremlin-workers=3"],
               env_with(GREMLIN_ACTORS_BIN=str(script)))
    argv = log.read_text().splitlines()
    assert "--parallel" not in argv and argv[argv.index("--workers") + 1] == "3"


def test_pytest_arguments_are_passed_without_the_plugin_options(project, fake_cli):
    script, log = fake_cli
    proc = run_pytest(project, ["--gremlins", "--gremlin-workers", "2", "-k", "add or clamp",
                                "--gremlin-report", "json", "-x", "tests/test_arith.py",
                                "-o", "xfail_strict=true", "--gremlin-targets=calc"],
                      env_with(GREMLIN_ACTORS_BIN=str(script)))
    assert proc.returncode == 3, proc.stdout + proc.stderr
    argv = log.read_text().splitlines()
    assert argv[argv.index("--"):] == ["--", "-p", "no:cacheprovider", "-k", "add or clamp", "-x",
                                       "tests/test_arith.py", "-o", "xfail_strict=true"]
    assert argv[argv.index("--workers") + 1] == "2"


def test_an_unknown_report_format_is_bad_input(project, fake_cli):
    script, log = fake_cli
    proc = run_pytest(project, ["--gremlins", "--gremlin-report=html,xml"],
                      env_with(GREMLIN_ACTORS_BIN=str(script)))
    assert proc.returncode == 2
    assert "--gremlin-report: 'xml' is not one of console, html, json" in proc.stderr
    assert not log.exists()


def test_html_report_goes_where_pytest_gremlins_puts_it(project, fake_cli, tmp_path):
    script, log = fake_cli
    run_pytest(project, ["--gremlins", "--gremlin-report=html"], env_with(GREMLIN_ACTORS_BIN=str(script)))
    argv = log.read_text().splitlines()
    assert argv[argv.index("--report-html") + 1] == str(project / "coverage" / "gremlins" / "index.html")
    assert (project / "coverage" / "gremlins").is_dir()
    run_pytest(project, ["--gremlins", "--gremlin-report=html", "--gremlins-html-dir", str(tmp_path / "h")],
               env_with(GREMLIN_ACTORS_BIN=str(script)))
    argv = log.read_text().splitlines()
    assert argv[argv.index("--report-html") + 1] == str(tmp_path / "h" / "index.html")
    assert str(tmp_path / "h") not in argv[argv.index("--"):]


def killed_cli(tmp_path, body):
    script = tmp_path / "killed-gremlin-actors"
    script.write_text("#!/bin/sh\n" + body + "\n")
    script.chmod(0o755)
    return script


def test_a_cli_killed_by_a_signal_gives_128_plus_its_number(project, tmp_path):
    script = killed_cli(tmp_path, "kill -TERM $$")
    proc = run_pytest(project, ["--gremlins"], env_with(GREMLIN_ACTORS_BIN=str(script)))
    assert proc.returncode == 143, (proc.returncode, proc.stderr)


def read_one_line_and_close(argv, cwd, env):
    """Runs argv with its standard output into a pipe that is closed after the first line
    (``| head -1``); returns (exit code, that line)."""
    proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    line = proc.stdout.readline()
    proc.stdout.close()
    return proc.wait(timeout=600), line


def test_a_closed_pipe_that_kills_the_cli_gives_141_not_243(project, tmp_path):
    script = killed_cli(tmp_path, "exec yes gremlin")  # dies by SIGPIPE once the reader goes
    code, line = read_one_line_and_close(
        [sys.executable, "-m", "pytest", "-p", "gremlins_pytest.plugin", "--gremlins"],
        project, env_with(GREMLIN_ACTORS_BIN=str(script)))
    assert line == b"gremlin\n"
    assert code == 141  # 128 + SIGPIPE, what gremlin-actors itself exits with for a closed output


needs_cli = pytest.mark.skipif(not cli_supports_pytest(os.environ.get("GREMLIN_ACTORS_BIN")),
                               reason="needs GREMLIN_ACTORS_BIN with a working `run --pytest`")


@needs_cli
def test_pytest_gremlins_piped_into_head_exits_with_the_run_code(project):
    code, line = read_one_line_and_close(
        [sys.executable, "-m", "pytest", "-p", "gremlins_pytest.plugin", "-p", "no:cacheprovider",
         "--gremlins", "--gremlin-operators=comparison", "--gremlin-report=json"],
        project, env_with(NO_COLOR="1"))
    assert line  # the reader saw the start of the report, then went away
    assert code == 0  # results still went to .gremlins/results.json: the run went on
    data = json.loads((project / ".gremlins" / "results.json").read_text())
    assert data["summary"]["total"] == len(data["results"]) > 0


@needs_cli
def test_reports_and_cache_through_the_real_cli(project):
    args = ["--gremlins", "--gremlin-operators=comparison", "--gremlin-report=html",
            "--gremlin-report=json", "--gremlin-cache"]
    first = run_pytest(project, args, env_with(NO_COLOR="1"))
    assert first.returncode == 0, first.stdout + first.stderr
    html = project / "coverage" / "gremlins" / "index.html"
    results = project / ".gremlins" / "results.json"
    assert "pytest --gremlins: HTML report: %s" % html in first.stdout
    assert "pytest --gremlins: JSON results: %s" % results in first.stdout
    assert "<html" in html.read_text().lower()
    tested = json.loads(results.read_text())["results"]
    assert tested and not any(r.get("reused") for r in tested)
    # --gremlin-cache: the unchanged gremlins' verdicts are reused ...
    second = run_pytest(project, args, env_with(NO_COLOR="1"))
    assert second.returncode == 0, second.stdout + second.stderr
    assert all(r.get("reused") for r in json.loads(results.read_text())["results"])
    # ... and --gremlin-clear-cache tests every one again.
    third = run_pytest(project, args + ["--gremlin-clear-cache"], env_with(NO_COLOR="1"))
    assert third.returncode == 0, third.stdout + third.stderr
    again = json.loads(results.read_text())["results"]
    assert len(again) == len(tested) and not any(r.get("reused") for r in again)


def test_paths_given_in_a_subfolder_are_passed_relative_to_the_rootdir(project, fake_cli):
    script, log = fake_cli
    proc = run_pytest(project / "tests", ["--gremlins", "test_arith.py::test_add", "--ignore=test_stats.py",
                                          "-c", "../pytest.ini", "--rootdir", "..", "-k", "tests"],
                      env_with(GREMLIN_ACTORS_BIN=str(script)))
    assert proc.returncode == 3, proc.stdout + proc.stderr
    argv = log.read_text().splitlines()
    assert argv[argv.index("--project") + 1] == str(project)
    assert argv[argv.index("--"):] == ["--", "-p", "no:cacheprovider", "tests/test_arith.py::test_add",
                                       "--ignore=tests/test_stats.py", "-c", "pytest.ini",
                                       "--rootdir", ".", "-k", "tests"]  # -k's value is not a path


def test_help_and_version_are_pytest_s(project, fake_cli):
    script, log = fake_cli
    proc = run_pytest(project, ["--gremlins", "--help"], env_with(GREMLIN_ACTORS_BIN=str(script)))
    assert proc.returncode == 0 and "--gremlin-report" in proc.stdout and "--gremlins-html-dir" in proc.stdout
    assert not log.exists()


def test_gremlins_is_ignored_inside_a_mutation_run(project, fake_cli):
    # An addopts or PYTEST_ADDOPTS holding --gremlins must not start a run from each run's pytest.
    script, log = fake_cli
    proc = run_pytest(project, ["-q"], env_with(GREMLIN_ACTORS_BIN=str(script), PYTEST_ADDOPTS="--gremlins",
                                                GREMLIN_INSTRUMENTED_DIR=str(project)))
    assert proc.returncode == 0 and "21 passed" in proc.stdout, proc.stdout + proc.stderr
    assert "pytest --gremlins: ignored inside a mutation run" in proc.stderr
    assert not log.exists()



def test_xdist_workers_become_gremlin_actors_workers(project, fake_cli, tmp_path):
    from test_pytest_args import XDIST_PLUGIN
    site = tmp_path / "xdist-site"
    (site / "xdist").mkdir(parents=True)
    (site / "xdist" / "__init__.py").write_text("")
    (site / "xdist" / "plugin.py").write_text(XDIST_PLUGIN)
    script, log = fake_cli
    env = env_with(GREMLIN_ACTORS_BIN=str(script), PYTHONPATH=os.pathsep.join([str(ADAPTER_DIR), str(site)]))
    for given, expected in ((["-n", "3"], ["--workers", "3"]), (["-nauto"], ["--parallel"]),
                            (["--numprocesses=0"], [])):
        proc = run_pytest(project, ["-p", "xdist.plugin", "--gremlins", *given], env)
        assert proc.returncode == 3, proc.stdout + proc.stderr
        argv = log.read_text().splitlines()
        cut = argv.index("--")
        assert argv[argv.index(sys.executable) + 1:cut] == expected
        assert argv[cut:] == ["--", "-p", "no:cacheprovider", "-p", "xdist.plugin"]


def slow_project(root, functions=16, test_s=0.4):
    """A project whose every gremlin takes about ``test_s`` to test."""
    (root / "slowpkg").mkdir(parents=True)
    (root / "tests").mkdir()
    (root / "slowpkg" / "__init__.py").write_text("")
    (root / "slowpkg" / "core.py").write_text("".join(
        "def f%d(x):\n    return x + %d\n\n\n" % (i, i) for i in range(functions)))
    (root / "tests" / "test_core.py").write_text("import time\n\nfrom slowpkg import core\n\n" + "".join(
        "\ndef test_f%d():\n    time.sleep(%s)\n    assert core.f%d(1) == %d\n" % (i, test_s, i, i + 1)
        for i in range(functions)))
    (root / "pytest.ini").write_text("[pytest]\ntestpaths = tests\npythonpath = .\n")
    return root


def start_in_its_own_group(root):
    """pytest --gremlins as a terminal starts it: its own process group (the foreground one)."""
    proc = subprocess.Popen([sys.executable, "-m", "pytest", "-p", "gremlins_pytest.plugin",
                             "-p", "no:cacheprovider", "--gremlins", "--gremlin-operators=arithmetic",
                             "--gremlin-workers=1"], cwd=root, env=env_with(NO_COLOR="1"),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                            start_new_session=True)
    seen = []
    for line in iter(proc.stdout.readline, b""):  # until a first gremlin is zapped
        seen.append(line)
        if re.search(rb"zapped [1-9]", line):
            break
    return proc, b"".join(seen)


def left_behind(root):
    """Processes whose command line or folder names the project (ours only)."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as handle:
                cmdline = handle.read().decode(errors="replace")
            cwd = os.readlink("/proc/%s/cwd" % pid)
        except OSError:
            continue
        if str(root) in cmdline or cwd.startswith(str(root)):
            found.append((pid, cmdline.replace("\0", " ")))
    return found


@needs_cli
@pytest.mark.parametrize("to_group, sig, code", [(True, signal.SIGINT, 130), (False, signal.SIGTERM, 143)])
def test_a_stopped_run_writes_its_results_and_leaves_nothing(tmp_path, to_group, sig, code):
    # Ctrl-C reaches the whole group (gremlin-actors too); SIGTERM to pytest alone is passed on.
    root = slow_project(tmp_path / "slow")
    proc, before = start_in_its_own_group(root)
    assert proc.poll() is None, before + proc.communicate()[0]
    if to_group:
        os.killpg(proc.pid, sig)
    else:
        proc.send_signal(sig)
    output = (before + proc.communicate(timeout=120)[0]).decode(errors="replace")
    assert proc.returncode == code, output
    assert "interrupted" in output
    results = json.loads((root / ".gremlins" / "results.json").read_text())
    assert results["summary"]["zapped"] > 0, output  # the verdicts so far were written
    assert len(results["results"]) == 16
    deadline = time.monotonic() + 10
    while left_behind(root) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert left_behind(root) == []


@needs_cli
def test_gremlin_batch_alone_runs_batches_on_every_cpu(project):
    proc = run_pytest(project, ["--gremlins", "--gremlin-batch", "--gremlin-operators=comparison"],
                      env_with(NO_COLOR="1"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    pool = json.loads((project / ".gremlins" / "results.json").read_text())["pool"]
    assert pool["batches"] >= 1, pool
    # --parallel's worker count (the CPU count; one worker would be pytest-gremlins' sequential mode)
    assert pool["workers"] == os.cpu_count() or 1 < pool["workers"] < os.cpu_count(), pool
