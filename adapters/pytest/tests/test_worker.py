"""The pytest warm worker driven as a real process through real pipes (docs/protocol.md).

Each test starts `python -m gremlins_pytest.worker` in a project, talks to it through the two
descriptors named by GREMLIN_REQUEST_FD / GREMLIN_REPLY_FD, and reads its events with a timed
"pop the next event" helper.  Nothing here imports the worker module itself.
"""

import json
import os
import select
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ADAPTER_DIR = HERE.parent
DEMO = HERE / "projects" / "worker_demo"
DEMO_PROJECT = DEMO / "project"
DEMO_INSTRUMENTED = DEMO / "instrumented"
CALC = "tests/check_calc.py::"
MORE = "tests/check_more.py::"
EVENT_TIMEOUT = 60.0


def alive(pid):
    """True while pid is a running (not zombie) process."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
    return state not in ("Z", "X")


def parent_of(pid):
    """pid's parent, or None when it is gone."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return int(f.read().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None


def wait_gone(pid, seconds=10.0):
    deadline = time.monotonic() + seconds
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.01)
    return not alive(pid)


class WorkerProcess:
    """A worker started through real pipes; pop() returns its next event or fails the test."""

    def __init__(self, tmp_path, project=DEMO_PROJECT, args=(), env=None, name="worker",
                 command=None, nonblocking=False):
        request_r, self.request_w = os.pipe()
        self.reply_r, reply_w = os.pipe()
        if nonblocking:  # as a runtime's async pipes may hand them over
            os.set_blocking(request_r, False)
            os.set_blocking(reply_w, False)
        full_env = dict(os.environ)
        full_env.pop("ACTIVE_GREMLIN", None)
        full_env.update(
            PYTHONPATH=os.pathsep.join([str(ADAPTER_DIR)] + [p for p in [
                os.environ.get("PYTHONPATH")] if p]),
            GREMLIN_PROTOCOL="1", GREMLIN_WORKER_INDEX="0",
            GREMLIN_REQUEST_FD=str(request_r), GREMLIN_REPLY_FD=str(reply_w),
            DEMO_SWITCH_LOG=str(tmp_path / ("%s.switch.log" % name)))
        full_env.update(env or {})
        self.stdout_path = tmp_path / ("%s.stdout" % name)
        self.stderr_path = tmp_path / ("%s.stderr" % name)
        self.switch_log = Path(full_env["DEMO_SWITCH_LOG"])
        with open(self.stdout_path, "wb") as out, open(self.stderr_path, "wb") as err:
            self.proc = subprocess.Popen(
                command or [sys.executable, "-m", "gremlins_pytest.worker", *args],
                cwd=str(project),
                env=full_env, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                pass_fds=(request_r, reply_w), start_new_session=True)
        os.close(request_r)
        os.close(reply_w)
        self.buffer = b""
        self.started_pids = []

    def send(self, *requests):
        """Write all requests at once (pipelined), each a dict or raw bytes."""
        data = b"".join(r if isinstance(r, bytes) else json.dumps(r).encode() + b"\n"
                        for r in requests)
        while data:
            data = data[os.write(self.request_w, data):]

    def pop(self, timeout=EVENT_TIMEOUT):
        """The next event; fails with the worker's stderr when none comes in time."""
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buffer:
            left = deadline - time.monotonic()
            readable, _, _ = select.select([self.reply_r], [], [], max(0.0, left))
            if not readable:
                pytest.fail("no event within %.1f s; stderr:\n%s" % (timeout, self.stderr()))
            chunk = os.read(self.reply_r, 65536)
            if not chunk:
                pytest.fail("reply pipe closed (worker exit %s); stderr:\n%s"
                            % (self.proc.poll(), self.stderr()))
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        event = json.loads(line)
        if event.get("event") == "started":
            self.started_pids.append(event["pid"])
        return event

    def pop_result(self, timeout=EVENT_TIMEOUT):
        """The next result, skipping started events."""
        while True:
            event = self.pop(timeout)
            if event["event"] == "result":
                return event

    def assert_no_event(self, seconds=0.3):
        readable, _, _ = select.select([self.reply_r], [], [], seconds)
        assert not readable and b"\n" not in self.buffer, os.read(self.reply_r, 4096)

    def ready(self):
        event = self.pop()
        assert event["event"] == "ready", (event, self.stderr())
        return event

    def stderr(self):
        return self.stderr_path.read_text(errors="replace")

    def stdout(self):
        return self.stdout_path.read_text(errors="replace")

    def close_replies(self):
        if self.reply_r is not None:
            os.close(self.reply_r)
            self.reply_r = None

    def close_requests(self):
        if self.request_w is not None:
            os.close(self.request_w)
            self.request_w = None

    def wait(self, timeout=30):
        return self.proc.wait(timeout)

    def cleanup(self):
        self.close_requests()
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)
        self.close_replies()
        for pid in self.started_pids:
            assert wait_gone(pid), "forked child %d outlived its worker" % pid


@pytest.fixture
def start_worker(tmp_path):
    workers = []

    def start(*args, project=DEMO_PROJECT, env=None, with_instrumented=True, nonblocking=False):
        if with_instrumented:
            args = ("--instrumented-dir", str(DEMO_INSTRUMENTED)) + args
        worker = WorkerProcess(tmp_path, project, args, env, name="worker%d" % len(workers),
                               nonblocking=nonblocking)
        workers.append(worker)
        return worker

    yield start
    for worker in workers:
        worker.cleanup()


def run(gremlin, tests=(), **fields):
    return dict({"op": "run", "gremlin": gremlin, "tests": list(tests)}, **fields)


# ---------------------------------------------------------------------------------------------
# Start-up


def test_ready_handshake(start_worker):
    worker = start_worker()
    event = worker.ready()
    assert event["protocol"] == 1
    assert event["pid"] == worker.proc.pid
    assert set(event["capabilities"]) == {"fork", "inprocess"}
    assert event["tests"] == 10


def test_non_blocking_protocol_descriptors_are_fine(start_worker):
    worker = start_worker(nonblocking=True)
    worker.ready()
    time.sleep(0.3)  # the worker now waits on an empty request pipe
    worker.send(run("g_add", [CALC + "test_add"]))
    assert worker.pop_result()["status"] == "zapped"


def test_ready_from_run_json(start_worker, tmp_path):
    out = tmp_path / "gremlins"
    out.mkdir()
    (out / "manifest.json").write_text(json.dumps({"version": 1, "gremlins": [
        {"id": "g_add", "tests": [CALC + "test_add"], "static": False},
        {"id": "g_import_time", "tests": [CALC + "test_add"], "static": True}]}))
    (out / "run.json").write_text(json.dumps({
        "version": 1, "python": sys.executable, "project": str(DEMO_PROJECT),
        "gremlins_dir": str(out), "manifest": str(out / "manifest.json"),
        "instrumented_dir": str(DEMO_INSTRUMENTED),
        "env": {"DEMO_SPAWN_PIDFILE": str(tmp_path / "helper.pid")},
        "worker_command": [], "cold_command": [], "baseline_ms": 1.0}))
    worker = start_worker("--gremlins-dir", str(out), project=tmp_path, with_instrumented=False)
    worker.ready()
    worker.send(run("g_add", [CALC + "test_add"]), run("g_spawn", [CALC + "test_helper"]))
    assert worker.pop_result()["status"] == "zapped"  # the instrumented calc was imported
    assert worker.pop_result()["status"] == "survived"
    assert (tmp_path / "helper.pid").exists()  # run.json's env reached the tests
    # A static gremlin runs in a child of the zygote (forked before the project was
    # imported), with the verdict of the cold runner on the same run.json.
    worker.send(run("g_import_time", [CALC + "test_add"]))
    started = worker.pop()
    assert started["event"] == "started", started
    assert parent_of(started["pid"]) not in (None, worker.proc.pid)  # the zygote's child
    result = worker.pop_result()
    env = dict(os.environ, ACTIVE_GREMLIN="g_import_time", PYTHONPATH=str(ADAPTER_DIR),
               DEMO_SPAWN_PIDFILE=str(tmp_path / "helper.pid"))
    cold = subprocess.run([sys.executable, "-m", "gremlins_pytest.cold", "--gremlins-dir",
                           str(out)], cwd=str(tmp_path), env=env, capture_output=True, text=True)
    assert result["status"] == {0: "survived", 1: "zapped"}.get(cold.returncode), (
        result, cold.stdout[-2000:], cold.stderr[-2000:])


def test_src_layout_from_the_environment_variable(start_worker, tmp_path):
    """GREMLIN_INSTRUMENTED_DIR alone is enough, and its src/ wins over the project's src/
    even though the project's pytest.ini puts that first on sys.path."""
    project, inst = tmp_path / "srcproject", tmp_path / "inst"
    for root, body in ((project, "def double(x):\n    return x * 2\n"),
                       (inst, "import _gremlins_switch as s\n\n\ndef double(x):\n"
                              "    return x + 2 if s.active == 'g_src' else x * 2\n")):
        (root / "src" / "pkg").mkdir(parents=True)
        (root / "src" / "pkg" / "__init__.py").write_text(body)
    (inst / "_gremlins_switch.py").write_text(
        "active = None\n\n\ndef set_active(g):\n    global active\n    active = g\n")
    (project / "pytest.ini").write_text("[pytest]\npythonpath = src\n")
    (project / "tests").mkdir()
    (project / "tests" / "test_pkg.py").write_text(
        "import pkg\n\n\ndef test_double():\n    assert pkg.double(3) == 6\n")
    worker = start_worker(project=project, with_instrumented=False,
                          env={"GREMLIN_INSTRUMENTED_DIR": str(inst)})
    worker.ready()
    worker.send(run("g_src", []), run(None, []))
    result = worker.pop_result()
    assert result["status"] == "zapped"
    assert result["killing_test"] == "tests/test_pkg.py::test_double"
    assert worker.pop_result()["status"] == "survived"


@pytest.mark.parametrize("case", ["unknown_option", "bad_run_json", "bad_manifest",
                                  "missing_project"])
def test_unusable_start_is_an_error_event_and_exit_code_2(start_worker, tmp_path, case):
    bad, broken_manifest = tmp_path / "bad", tmp_path / "broken_manifest"
    bad.mkdir()
    broken_manifest.mkdir()
    (bad / "run.json").write_text('{"version": 1, "env": ["not", "an", "object"]}')
    (broken_manifest / "manifest.json").write_text('{"version": 1, "gremlins": 3}')
    (broken_manifest / "run.json").write_text(json.dumps(
        {"version": 1, "manifest": str(broken_manifest / "manifest.json")}))
    args = {"unknown_option": ("--no-such-option",),
            "bad_run_json": ("--gremlins-dir", str(bad)),
            "bad_manifest": ("--gremlins-dir", str(broken_manifest)),
            "missing_project": ("--project", str(tmp_path / "nowhere"))}[case]
    worker = start_worker(*args, with_instrumented=False)
    event = worker.pop()
    assert event["event"] == "error"
    expected = {"unknown_option": "--no-such-option", "bad_run_json": "field 'env'",
                "bad_manifest": "manifest.json: not a gremlin manifest",
                "missing_project": "nowhere"}[case]
    assert expected in event["message"]
    assert worker.wait() == 2


def test_without_protocol_descriptors_the_worker_says_so(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ADAPTER_DIR))
    env.pop("GREMLIN_REQUEST_FD", None)
    env.pop("GREMLIN_REPLY_FD", None)
    done = subprocess.run([sys.executable, "-m", "gremlins_pytest.worker"], cwd=str(tmp_path),
                          env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "GREMLIN_REQUEST_FD" in done.stderr


def test_collection_failure_is_reported_instead_of_ready(start_worker, tmp_path):
    project = tmp_path / "broken"
    (project / "tests").mkdir(parents=True)
    (project / "tests" / "test_broken.py").write_text("import no_such_module_xyz\n")
    worker = start_worker(project=project, with_instrumented=False)
    event = worker.pop()
    assert event["event"] == "error"
    assert event["message"].startswith("collection failed")
    assert "no_such_module_xyz" in event["message"]
    assert worker.wait() != 0


def test_broken_conftest_is_reported_instead_of_ready(start_worker, tmp_path):
    project = tmp_path / "broken_conftest"
    project.mkdir()
    (project / "conftest.py").write_text("raise RuntimeError('conftest exploded')\n")
    (project / "test_ok.py").write_text("def test_ok():\n    pass\n")
    worker = start_worker(project=project, with_instrumented=False)
    event = worker.pop()
    assert event["event"] == "error"
    assert "collection failed" in event["message"]
    assert worker.wait() != 0


def test_active_gremlin_in_environment_is_ignored(start_worker):
    worker = start_worker(env={"ACTIVE_GREMLIN": "g_add"})
    worker.ready()
    worker.send(run(None, [CALC + "test_add"]))
    assert worker.pop_result()["status"] == "survived"


# ---------------------------------------------------------------------------------------------
# The fork executor


def test_fork_zapped_names_the_first_failing_test_by_full_node_id(start_worker):
    worker = start_worker()
    worker.ready()
    order = [CALC + "test_positive", MORE + "test_add", CALC + "test_add"]
    worker.send(run("g_add", order, timeout_ms=20000, executor="fork"))
    started = worker.pop()
    assert started == {"event": "started", "gremlin": "g_add", "pid": started["pid"]}
    result = worker.pop()
    assert result["event"] == "result" and result["gremlin"] == "g_add"
    assert result["status"] == "zapped"
    assert result["killing_test"] == MORE + "test_add"
    assert "assert 0 == 2" in result["output"]
    assert result["ms"] > 0


def test_fork_all_tests_when_the_list_is_empty(start_worker):
    worker = start_worker()
    worker.ready()
    worker.send(run("g_add"))
    result = worker.pop_result()
    assert (result["status"], result["killing_test"]) == ("zapped", CALC + "test_add")


def test_fork_survived(start_worker):
    worker = start_worker()
    worker.ready()
    worker.send(run("g_boundary", [CALC + "test_positive", CALC + "test_add"], timeout_ms=0))
    result = worker.pop_result()
    assert result["status"] == "survived"
    assert result["killing_test"] is None


def test_fixture_setup_error_zaps(start_worker):
    worker = start_worker()
    worker.ready()
    worker.send(run("g_setup",
                    [CALC + "test_add", CALC + "test_config", CALC + "test_config_again"]))
    result = worker.pop_result()
    assert (result["status"], result["killing_test"]) == ("zapped", CALC + "test_config")
    assert "config broken by g_setup" in result["output"]


def test_warning_filters_of_the_project_apply_as_in_a_cold_run(start_worker, tmp_path):
    """filterwarnings = error (ini) turns a warning a gremlin causes into a failing test."""
    project, inst = tmp_path / "warnproject", tmp_path / "inst"
    (project / "tests").mkdir(parents=True)
    inst.mkdir()
    (project / "pytest.ini").write_text("[pytest]\nfilterwarnings =\n    error\n")
    (project / "tests" / "test_m.py").write_text(
        "import m\n\n\ndef test_f():\n    assert m.f() == 1\n")
    (inst / "_gremlins_switch.py").write_text(
        "active = None\n\n\ndef set_active(g):\n    global active\n    active = g\n")
    (inst / "m.py").write_text(
        "import warnings\nimport _gremlins_switch as s\n\n\ndef f():\n"
        "    if s.active == 'g_warn':\n        warnings.warn('careful', UserWarning)\n"
        "    return 1\n")
    worker = start_worker("--instrumented-dir", str(inst), project=project,
                          with_instrumented=False)
    worker.ready()
    worker.send(run("g_warn", executor="fork"), run("g_warn", executor="inprocess"),
                run(None, executor="fork"))
    assert [worker.pop_result()["status"] for _ in range(3)] == ["zapped", "zapped", "survived"]


def test_teardown_errors_zap_while_skips_and_xfails_do_not(start_worker, tmp_path):
    project, inst = tmp_path / "tdproject", tmp_path / "inst"
    (project / "tests").mkdir(parents=True)
    inst.mkdir()
    (inst / "_gremlins_switch.py").write_text(
        "active = None\n\n\ndef set_active(g):\n    global active\n    active = g\n")
    (inst / "res.py").write_text(
        "import _gremlins_switch as s\n\n\ndef release():\n"
        "    if s.active == 'g_td':\n        raise RuntimeError('release failed')\n")
    (project / "tests" / "test_res.py").write_text(textwrap.dedent("""
        import pytest
        import res

        @pytest.fixture
        def resource():
            yield 1
            res.release()

        def test_skipped():
            pytest.skip("not today")

        @pytest.mark.xfail(reason="known")
        def test_known_bug():
            assert False

        def test_uses(resource):
            assert resource == 1

        def test_after():
            pass
        """))
    worker = start_worker("--instrumented-dir", str(inst), project=project,
                          with_instrumented=False)
    worker.ready()
    for executor in ("fork", "inprocess"):
        worker.send(run("g_td", executor=executor), run("g_other", executor=executor))
        zapped, survived = worker.pop_result(), worker.pop_result()
        assert zapped["status"] == "zapped"
        assert zapped["killing_test"] == "tests/test_res.py::test_uses"
        assert "[teardown]" in zapped["output"] and "release failed" in zapped["output"]
        assert survived["status"] == "survived"


def test_started_pid_is_the_child_in_its_own_process_group(start_worker):
    worker = start_worker()
    worker.ready()
    worker.send(run("g_hang", [CALC + "test_countdown"], timeout_ms=30000))
    started = worker.pop()
    child = started["pid"]
    assert started["event"] == "started" and child != worker.proc.pid
    with open("/proc/%d/stat" % child) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ppid, pgid = int(fields[1]), int(fields[2])
    assert ppid == worker.proc.pid
    assert pgid == child
    os.killpg(child, signal.SIGKILL)  # what the runtime does on its own time limit
    # The child died: zapped by its test when that test had begun, else error (either way the
    # runtime, which killed it, has answered timeout already and drops this late line).
    result = worker.pop_result()
    assert result["status"] in ("zapped", "error")
    if result["status"] == "zapped":
        assert result["killing_test"] == CALC + "test_countdown"
    assert "signal 9" in result["output"]


def test_hanging_gremlin_times_out_and_the_worker_stays_warm(start_worker):
    worker = start_worker()
    ready = worker.ready()
    worker.send(run("g_hang", [CALC + "test_add", CALC + "test_countdown"], timeout_ms=500),
                run("g_add", [CALC + "test_add"], timeout_ms=20000))
    child = worker.pop()["pid"]
    result = worker.pop()
    assert result["status"] == "timeout"
    assert result["killing_test"] is None
    assert CALC + "test_countdown" in result["output"]
    assert 400 <= result["ms"] < 20000
    assert wait_gone(child)
    assert worker.proc.poll() is None
    assert worker.pop_result()["status"] == "zapped"
    assert ready["pid"] == worker.proc.pid and worker.proc.poll() is None


def test_child_dying_by_signal_mid_test_zaps_it_with_the_reason(start_worker):
    # As a cold run of the suite: the test's process died under the gremlin, the test failed.
    worker = start_worker()
    worker.ready()
    worker.send(run("g_crash", [CALC + "test_mean"]), run("g_boundary", [CALC + "test_mean"]))
    result = worker.pop_result()
    assert result["status"] == "zapped"
    assert result["killing_test"] == CALC + "test_mean"
    assert "child died by signal 9" in result["output"]
    assert worker.pop_result()["status"] == "survived"


def test_processes_started_by_tests_do_not_outlive_the_run(start_worker, tmp_path):
    pidfile = tmp_path / "helper.pid"
    worker = start_worker(env={"DEMO_SPAWN_PIDFILE": str(pidfile)})
    worker.ready()
    worker.send(run("g_spawn", [CALC + "test_helper"]))
    assert worker.pop_result()["status"] == "survived"
    helper = int(pidfile.read_text())
    assert wait_gone(helper)


def test_tests_printing_do_not_disturb_the_protocol(start_worker):
    worker = start_worker()
    worker.ready()
    for executor in ("fork", "inprocess"):
        worker.send(run("g_noisy", [MORE + "test_noisy"], executor=executor),
                    run("g_add", [MORE + "test_noisy", MORE + "test_add"], executor=executor))
        assert worker.pop_result()["status"] == "survived"
        result = worker.pop_result()
        assert (result["status"], result["killing_test"]) == ("zapped", MORE + "test_add")


def test_uncaptured_output_goes_to_the_workers_stdout_not_the_protocol(start_worker):
    worker = start_worker("--", "-s")
    worker.ready()
    worker.send(run("g_noisy", [MORE + "test_noisy"]), run("g_noisy", [MORE + "test_noisy"]))
    assert worker.pop_result()["status"] == "survived"
    assert worker.pop_result()["status"] == "survived"
    worker.send({"op": "shutdown"})
    assert worker.wait() == 0
    assert '"gremlin":"fake"' in worker.stdout()
    assert '"gremlin":"fake"' in worker.stderr()


# ---------------------------------------------------------------------------------------------
# Batches, bad requests


def test_pipelined_batch_is_answered_in_order_exactly_once(start_worker):
    worker = start_worker()
    worker.ready()
    batch = [("g_add", "zapped"), ("g_boundary", "survived"), ("g_setup", "zapped"),
             ("g_boundary", "survived"), (None, "survived")] * 4
    worker.send(*[run(g, [], executor="fork" if i % 2 else "inprocess")
                  for i, (g, _) in enumerate(batch)])
    for gremlin, status in batch:
        result = worker.pop_result()
        assert (result["gremlin"], result["status"]) == (gremlin, status)
    worker.assert_no_event()


def test_unknown_test_id_is_an_error_result(start_worker):
    worker = start_worker()
    worker.ready()
    worker.send(run("g_add", [CALC + "test_add", "tests/check_calc.py::test_nope"]))
    result = worker.pop()
    assert result["event"] == "result" and result["status"] == "error"
    assert "tests/check_calc.py::test_nope" in result["output"]


@pytest.mark.parametrize("bad", [
    {"tests": "tests/check_calc.py::test_add"},
    {"timeout_ms": -5},
    {"timeout_ms": "soon"},
    {"executor": "thread"},
])
def test_run_with_a_bad_field_is_an_error_result(start_worker, bad):
    worker = start_worker()
    worker.ready()
    worker.send(dict(run("g_add"), **bad))
    result = worker.pop()
    assert result["event"] == "result" and result["gremlin"] == "g_add"
    assert result["status"] == "error"
    assert "field '%s'" % next(iter(bad)) in result["output"]


def test_malformed_lines_and_unknown_ops_get_no_reply(start_worker):
    worker = start_worker()
    worker.ready()
    worker.send(b"this is not json\n", b"[1, 2]\n", b'{"op": "dance"}\n', b"\n",
                run("g_boundary", [CALC + "test_add"]))
    assert worker.pop()["event"] == "started"
    result = worker.pop()
    assert (result["event"], result["gremlin"], result["status"]) == ("result", "g_boundary",
                                                                       "survived")
    worker.assert_no_event()
    assert "not JSON" in worker.stderr()
    assert "dance" in worker.stderr()


# ---------------------------------------------------------------------------------------------
# The inprocess executor


def switch_calls(worker, pid):
    lines = worker.switch_log.read_text().splitlines()
    return [line.split(" ", 1)[1] for line in lines if int(line.split(" ", 1)[0]) == pid]


def test_inprocess_gives_the_fork_verdicts_and_switches_back_off(start_worker):
    worker = start_worker()
    ready = worker.ready()
    cases = [("g_add", [MORE + "test_add", CALC + "test_add"]),
             ("g_boundary", []), ("g_setup", []), ("g_add", [CALC + "test_positive"]),
             (None, [])]
    verdicts = {}
    for executor in ("fork", "inprocess"):
        worker.send(*[run(g, tests, executor=executor) for g, tests in cases])
        verdicts[executor] = [(r["gremlin"], r["status"], r["killing_test"])
                              for r in (worker.pop_result() for _ in cases)]
    assert verdicts["fork"] == verdicts["inprocess"]
    assert [v[1] for v in verdicts["fork"]] == ["zapped", "survived", "zapped", "survived",
                                                "survived"]
    assert verdicts["fork"][0][2] == MORE + "test_add"
    # The worker itself switched each gremlin on and straight back off; only children did it
    # in fork mode.
    assert switch_calls(worker, ready["pid"]) == [
        "None", "g_add", "None", "g_boundary", "None", "g_setup", "None", "g_add", "None",
        "None", "None"]


def test_inprocess_timeout_interrupts_the_test_and_the_worker_stays_warm(start_worker):
    worker = start_worker()
    ready = worker.ready()
    worker.send(run("g_hang", [CALC + "test_add", CALC + "test_countdown"], timeout_ms=500,
                    executor="inprocess"),
                run("g_boundary", [CALC + "test_countdown", CALC + "test_positive"],
                    executor="inprocess"))
    result = worker.pop()
    assert (result["event"], result["status"], result["killing_test"]) == ("result", "timeout",
                                                                           None)
    assert CALC + "test_countdown" in result["output"]
    assert worker.pop()["status"] == "survived"  # countdown works again: g_hang is off
    assert worker.proc.poll() is None
    assert switch_calls(worker, ready["pid"])[-4:] == ["g_hang", "None", "g_boundary", "None"]


def test_inprocess_module_fixture_torn_down_after_early_stop(start_worker):
    worker = start_worker()
    worker.ready()
    # g_setup breaks the module fixture for the first run; the next run must set it up afresh.
    worker.send(run("g_setup", [CALC + "test_config", CALC + "test_config_again"],
                    executor="inprocess"),
                run(None, [CALC + "test_config", CALC + "test_config_again"],
                    executor="inprocess"),
                run("g_add", [CALC + "test_add", CALC + "test_config"], executor="inprocess"),
                run(None, [CALC + "test_config_again", CALC + "test_add"],
                    executor="inprocess"))
    statuses = [worker.pop_result()["status"] for _ in range(4)]
    assert statuses == ["zapped", "survived", "zapped", "survived"]


# ---------------------------------------------------------------------------------------------
# Ending


def test_shutdown_exits_cleanly(start_worker):
    worker = start_worker()
    worker.ready()
    worker.send(run("g_add", [CALC + "test_add"]), {"op": "shutdown"},
                run("g_add", [CALC + "test_add"]))
    assert worker.pop_result()["status"] == "zapped"
    assert worker.wait() == 0
    assert os.read(worker.reply_r, 4096) == b""  # nothing after shutdown
    assert all(wait_gone(pid) for pid in worker.started_pids)


def test_eof_answers_what_was_sent_then_exits_cleanly(start_worker):
    worker = start_worker()
    worker.ready()
    worker.send(run("g_add", [CALC + "test_add"]), run("g_boundary", [CALC + "test_add"]))
    worker.close_requests()
    assert [worker.pop_result()["status"] for _ in range(2)] == ["zapped", "survived"]
    assert worker.wait() == 0


def test_closed_reply_pipe_ends_the_worker_quietly(start_worker):
    worker = start_worker()
    worker.ready()
    worker.close_replies()  # the runtime went away without a word
    worker.send(run("g_hang", [CALC + "test_countdown"]))
    assert worker.wait() == 0
    assert "INTERNALERROR" not in worker.stderr()
    assert "reply descriptor closed" in worker.stderr()


def test_no_child_outlives_a_killed_worker(start_worker):
    for sig in (signal.SIGKILL, signal.SIGTERM):
        worker = start_worker()
        worker.ready()
        worker.send(run("g_hang", [CALC + "test_countdown"]))
        child = worker.pop()["pid"]
        assert alive(child)
        worker.proc.send_signal(sig)
        worker.wait()
        assert wait_gone(child), "child %d survived its worker's %s" % (child, sig.name)


# ---------------------------------------------------------------------------------------------
# Throughput


def write_fast_project(root, n_tests=60):
    """A flat project of n_tests fast tests and 2 gremlins per function (half survive)."""
    (root / "project" / "tests").mkdir(parents=True)
    (root / "instrumented").mkdir()
    (root / "instrumented" / "_gremlins_switch.py").write_text(
        "active = None\n\ndef set_active(g):\n    global active\n    active = g\n")
    funcs, tests = ["import _gremlins_switch as _gs\n"], []
    for i in range(n_tests):
        funcs.append(textwrap.dedent("""
            def f{i}(x):
                if _gs.active == "g{i}a":
                    return x - {i} - 1
                if _gs.active == "g{i}b" and x == -1:
                    return 0
                return x + {i}
            """).format(i=i))
        tests.append("def test_f{i}():\n    assert fast.f{i}(1) == {j}\n".format(i=i, j=1 + i))
    (root / "instrumented" / "fast.py").write_text("".join(funcs))
    (root / "project" / "fast.py").write_text("def unused():\n    pass\n")
    for half in (0, 1):
        part = tests[half * n_tests // 2:(half + 1) * n_tests // 2]
        (root / "project" / "tests" / ("test_fast_%d.py" % half)).write_text(
            "import fast\n\n" + "\n".join(part))
    return root / "project", root / "instrumented"


def cpu_seconds(pid):
    """CPU time of a process and of its reaped children (the fork executor's children)."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return sum(int(x) for x in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def measure(workers, n_gremlins, executor):
    """Pipeline every worker's share, collect every result: (wall s, CPU s, verdicts)."""
    requests = [[] for _ in workers]
    for k in range(n_gremlins):
        i, variant = divmod(k, 2)
        i %= 60
        tests = ["tests/test_fast_%d.py::test_f%d" % (i * 2 // 60, i)]
        requests[k % len(workers)].append(run("g%d%s" % (i, "ab"[variant]), tests,
                                              executor=executor, timeout_ms=10000))
    cpu = -sum(cpu_seconds(worker.proc.pid) for worker in workers)
    start = time.monotonic()
    for worker, batch in zip(workers, requests):
        worker.send(*batch)
    verdicts = [[worker.pop_result()["status"] for _ in batch]
                for worker, batch in zip(workers, requests)]
    wall = time.monotonic() - start
    cpu += sum(cpu_seconds(worker.proc.pid) for worker in workers)
    return wall, cpu, verdicts


@pytest.mark.parametrize("executor", ["fork", "inprocess"])
def test_throughput(start_worker, tmp_path, executor, capsys):
    project, instrumented = write_fast_project(tmp_path)
    n_gremlins = 120
    lines = []
    for n_workers in (1, 2):
        workers = [start_worker("--instrumented-dir", str(instrumented), project=project,
                                with_instrumented=False) for _ in range(n_workers)]
        for worker in workers:
            assert worker.ready()["tests"] == 60
        seconds, cpu, verdicts = measure(workers, n_gremlins, executor)
        flat = [s for batch in verdicts for s in batch]
        assert flat.count("zapped") == flat.count("survived") == n_gremlins // 2
        rate = n_gremlins / seconds
        lines.append("%s, %d worker(s): %d gremlins in %.3f s = %.0f gremlins/s; "
                     "%.1f ms CPU per gremlin (workers + children); load %.1f"
                     % (executor, n_workers, n_gremlins, seconds, rate,
                        cpu * 1000 / n_gremlins, os.getloadavg()[0]))
        assert rate > 2  # a sanity bound only
        for worker in workers:
            worker.send({"op": "shutdown"})
            assert worker.wait() == 0
    with capsys.disabled():
        print("\n" + "\n".join(lines))
