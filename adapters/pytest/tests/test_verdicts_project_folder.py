"""The project's .gremlins folder: two runs at once, and a project that cannot be written.

Two runs on one project used to share .gremlins/instrumented with no lock: the second rebuilt
the instrumented tree under the first one's workers.  Now a run holds an exclusive lock on
.gremlins/lock for its whole life (the CLI takes it before the prepare step; ``python -m
gremlins_pytest prepare`` run alone takes it too); a second run refuses at once with a one-line
reason naming the first run's pid, exit code 2, whatever its executor, and the first run's
verdicts stay those of a whole-suite run (tests/projects/slow_baseline: a slow test keeps the
first run busy).

A project on a read-only file system used to end in a Python traceback and "the baseline did
not pass" (exit 4); now it is a one-line reason and exit code 2 (needs ``unshare`` to mount a
read-only view; skipped without it).
"""

import json
import os
import shutil
import subprocess
import sys
import time

import pytest

from adapter_support import (ADAPTER_DIR, EXECUTORS, clean_env, cli_run, copy_project,
                             differences, gremlin_actors_bin, statuses, whole_suite_verdicts)

TIME_LIMIT_S = 20


def start_run(root, json_path, executor="fork"):
    argv = [gremlin_actors_bin(), "run", "--pytest", "--project", str(root), "--python",
            sys.executable, "--workers", "2", "--executor", executor, "--timeout",
            str(TIME_LIMIT_S), "--no-color", "--no-store", "--json", str(json_path)]
    return subprocess.Popen(argv, cwd=str(root), env=clean_env(), stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_until_started(root, pid, limit_s=60):
    """Until the first run holds the lock (or, without one, has begun instrumenting)."""
    lock = root / ".gremlins" / "lock"
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        if lock.is_file() and lock.read_text().strip() == str(pid):
            return
        if (root / ".gremlins" / "instrumented").is_dir():
            return
        time.sleep(0.02)
    pytest.fail("the first run did not start in %d s" % limit_s)


def test_a_second_run_on_the_same_project_refuses_while_the_first_runs(tmp_path):
    root = copy_project("slow_baseline", tmp_path / "slow_baseline")
    first = start_run(root, tmp_path / "first.json")
    try:
        wait_until_started(root, first.pid)
        for executor in EXECUTORS:
            proc, data = cli_run(root, executor, tmp_path / ("second-%s.json" % executor))
            assert proc.returncode == 2, (executor, proc.stdout, proc.stderr)
            reason = [l for l in proc.stderr.splitlines() if l.strip()]
            assert len(reason) == 1, proc.stderr
            assert "another gremlin-actors run (pid %d)" % first.pid in reason[0]
            assert data is None
        env = dict(os.environ, PYTHONPATH=str(ADAPTER_DIR))
        alone = subprocess.run([sys.executable, "-m", "gremlins_pytest", "prepare", "--project",
                                str(root)], env=env, capture_output=True, text=True, timeout=60)
        assert alone.returncode == 2 and "another run (pid %d)" % first.pid in alone.stderr
        assert first.poll() is None, "the first run ended too early to test anything"
        out, err = first.communicate(timeout=300)
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()
    assert first.returncode == 0, out + err
    data = json.loads((tmp_path / "first.json").read_text())
    assert data["summary"]["error"] == 0
    assert differences(data, whole_suite_verdicts(root, tmp_path)) == {}
    # The lock ends with its run: the next run goes ahead.
    proc, again = cli_run(root, "subprocess", tmp_path / "again.json")
    assert proc.returncode == 0, proc.stderr
    assert statuses(again) == statuses(data)


def can_mount_read_only(tmp_path):
    if shutil.which("unshare") is None:
        return False
    probe = tmp_path / "probe"
    probe.mkdir()
    proc = subprocess.run(["unshare", "-Urm", "sh", "-c",
                           'mount --bind "$1" "$1" && mount -o remount,ro,bind "$1" "$1" && '
                           '! touch "$1/x" 2>/dev/null', "sh", str(probe)],
                          capture_output=True, timeout=60)
    shutil.rmtree(probe)
    return proc.returncode == 0


def read_only(root, argv):
    """``argv`` run with ``root`` mounted read-only (a private mount namespace)."""
    return subprocess.run(["unshare", "-Urm", "sh", "-c",
                           'mount --bind "$1" "$1" && mount -o remount,ro,bind "$1" "$1" && '
                           'shift && exec "$@"', "sh", str(root)] + argv,
                          cwd=str(root), env=clean_env(), stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("executor", EXECUTORS)
@pytest.mark.parametrize("earlier_run", [False, True], ids=["fresh", "gremlins_dir_exists"])
def test_a_read_only_project_gets_one_line_and_exit_2(tmp_path, executor, earlier_run):
    if not can_mount_read_only(tmp_path):
        pytest.skip("cannot mount a read-only view here (unshare -Urm)")
    root = copy_project("slow_baseline", tmp_path / "project")
    (root / "tests" / "test_half.py").write_text(
        "from slowpkg.half import half\n\n\ndef test_half():\n    assert half(9) == 4\n")
    if earlier_run:
        proc, _ = cli_run(root, executor, tmp_path / "earlier.json")
        assert proc.returncode == 0, proc.stderr
    proc = read_only(root, [gremlin_actors_bin(), "run", "--pytest", "--project", str(root),
                            "--python", sys.executable, "--executor", executor, "--no-color",
                            "--json", str(tmp_path / "results.json")])
    assert proc.returncode == 2, proc.stdout + proc.stderr
    lines = [l for l in proc.stderr.splitlines() if l.strip()]
    assert len(lines) == 1, proc.stderr
    assert "Read-only file system" in lines[0] and str(root / ".gremlins") in lines[0]
    assert "Traceback" not in proc.stderr and "baseline" not in proc.stderr


def test_prepare_alone_on_a_read_only_project_exits_2(tmp_path):
    if not can_mount_read_only(tmp_path):
        pytest.skip("cannot mount a read-only view here (unshare -Urm)")
    root = copy_project("slow_baseline", tmp_path / "project")
    env_pp = "PYTHONPATH=%s" % ADAPTER_DIR
    proc = read_only(root, ["env", env_pp, sys.executable, "-m", "gremlins_pytest", "prepare",
                            "--project", str(root)])
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    assert "cannot write %s: Read-only file system" % (root / ".gremlins") in proc.stderr
