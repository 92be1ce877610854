"""The pytest warm worker: one long-lived pytest process that tests gremlins on request.

It implements the worker protocol (``shared/PROTOCOL.md``, version 1) and imports nothing from
the runtime's side.  Start it in the project's folder::

    python -m gremlins_pytest.worker --gremlins-dir OUT            # reads OUT/run.json
    python -m gremlins_pytest.worker --project DIR --instrumented-dir DIR [-- PYTEST_ARGS...]

with ``GREMLIN_REQUEST_FD`` and ``GREMLIN_REPLY_FD`` in the environment.  The protocol only ever
uses those two descriptors; stdin, stdout and stderr belong to the tests (the worker's own
diagnostics go to stderr, one line each).

Start-up
    ``OUT/run.json`` may give ``project``, ``instrumented_dir``, ``env`` (set in the worker's
    environment first), ``pytest_args`` (a list) and ``manifest`` (read for the ids of static
    gremlins); command-line options win over it.  The
    instrumented dir comes from ``--instrumented-dir``, run.json, or ``GREMLIN_INSTRUMENTED_DIR``.
    It (and its ``src/``, when that exists, in front of it) goes first on ``sys.path`` before
    pytest imports anything, and a ``sys.meta_path`` finder keeps the instrumented top-level
    modules winning even when pytest later puts the project's own folders in front
    (rootdir insertion, the ``pythonpath`` ini option): the one the instrumenter's
    ``_gremlins_switch`` installs when imported, or else the worker's own.
    ``ACTIVE_GREMLIN`` is removed from the environment: a warm worker starts with no gremlin
    active.  pytest runs once, in-process (``-q --tb=line``, then run.json's ``pytest_args``,
    then the extra arguments: a ``--tb=short`` there gives longer excerpts, at about twice the
    cost of a zapped gremlin), collects once, and the worker takes over ``pytest_runtestloop``.

Worker -> runtime, one JSON object per line
    ``{"event":"ready","protocol":1,"pid":P,"capabilities":["fork","inprocess"],"tests":N}``
        once, after a clean collection.
    ``{"event":"error","message":"collection failed: ..."}``
        instead of ``ready`` when collection fails (errors in test modules, a broken conftest,
        bad pytest arguments: the worker then exits with pytest's exit code, never 0), or
        with the reason when run.json or an option is unusable (exit code 2).  The runtime
        treats anything other than ``ready`` as a failed warm-up.  This is the only ``error``
        event; it is never sent after ``ready``.  Without usable protocol descriptors the
        worker only writes the reason on stderr and exits with code 2.
    ``{"event":"started","gremlin":ID,"pid":C}``
        fork executor only: C is the child, already in its own process group (both parent and
        child call setpgid), so the runtime may ``kill(-C, SIGKILL)`` and keep the worker.
    ``{"event":"result","gremlin":ID,"status":S,"killing_test":T,"ms":F,"output":O}``
        exactly one per ``run`` request, in request order; ``ms`` is the wall time of the run
        (fork: from the fork to the reaped child), ``output`` at most 2000 characters.

Runtime -> worker
    ``{"op":"run","gremlin":ID,"tests":[...],"timeout_ms":N,"executor":"fork"|"inprocess"}``
        ``gremlin`` null or "" runs with no gremlin active (a baseline).  ``tests`` missing or
        empty means every collected test, in collection order; otherwise the given node ids run
        in the given order.  The run stops at the first failed report (setup error, failing
        call, teardown error, strict xpass): status ``zapped``, ``killing_test`` = that test's
        full node id, ``output`` = the failure's short excerpt.  All pass (or skip/xfail):
        ``survived``.  Within one run the real next test is the ``nextitem`` (fixtures shared as
        in a normal pytest run); the last one gets ``None``, so every fixture is torn down.
        ``executor`` defaults to ``fork``.
        fork: a child per request, in its own process group, with a parent-death signal (Linux)
        so it never outlives the worker.  ``timeout_ms`` (optional; 0 or null: none) is
        enforced: the child's whole group is killed and the status is ``timeout`` (``output``
        names the test that was running).  A child that dies without a verdict gives ``error`` with
        "child died by signal N" / "child exited with code N"; that includes a child the runtime
        killed itself, so the runtime still receives one ``result`` for that request.  After
        every fork run the child's process group is killed, so processes started by tests do
        not linger.
        inprocess: the gremlin is switched on inside the worker itself and off again afterwards
        (``set_active(None)``), fixtures torn down.  Faster (no fork), but module state changed
        by one gremlin's tests can leak into the next gremlin's.  ``timeout_ms`` is enforced
        with a one-shot SIGALRM that raises an exception in the running test: status
        ``timeout``, the worker stays warm.  A test that swallows that exception (a bare
        ``except``) keeps running, and the runtime's own limit (killing the worker) applies;
        a test that sets its own SIGALRM handler conflicts with it.
        A run with an unknown test id, a bad field (wrong type, unknown executor), a gremlin
        that run.json's manifest marks ``static`` (import-time code: it needs a cold run), or
        no ``_gremlins_switch`` module while a gremlin is asked for gets a ``result`` with
        status ``error`` and the reason in ``output``; ``gremlin`` echoes the request's (null if it
        was not a string).
    ``{"op":"shutdown"}``, or end of file on the request descriptor after the last buffered
        request, ends the worker with exit code 0.  A request line that is not JSON, not an
        object, or has an unknown ``op`` is answered with nothing (so the one-result-per-run
        order stays intact) and logged on stderr.  If the reply descriptor is closed the worker
        exits at its next write.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import importlib.machinery
import json
import os
import select
import signal
import sys
import time
import traceback

import pytest
from _pytest.runner import runtestprotocol

try:
    from _pytest.warnings import catch_warnings_for_item
except ImportError:  # a pytest without it: the ini's warning filters do not apply to runs
    catch_warnings_for_item = None

PROTOCOL_VERSION = 1
CAPABILITIES = ["fork", "inprocess"]
OUTPUT_LIMIT = 2000
DEFAULT_PYTEST_ARGS = ["-q", "--tb=line"]  # line: failure reports cost a third of short
SWITCH_MODULE = "_gremlins_switch"
NOT_INSTRUMENTED = {"conftest", "test", "tests", "setup", "__pycache__"}

_current_child = None  # pid of the fork child in flight, for the SIGTERM handler


def log(message):
    """One diagnostic line on stderr (never on the protocol descriptors)."""
    try:
        sys.stderr.write("gremlins worker: %s\n" % message)
        sys.stderr.flush()
    except (OSError, ValueError):
        pass


class BadStart(Exception):
    """The worker cannot start: bad options, unusable run.json, missing descriptors."""


# ---------------------------------------------------------------------------------------------
# Settings


class ArgumentParser(argparse.ArgumentParser):
    """Bad options become BadStart, so that the runtime also gets them as an error event."""

    def error(self, message):
        raise BadStart("%s: error: %s" % (self.prog, message))


def parse_args(argv):
    parser = ArgumentParser(
        prog="python -m gremlins_pytest.worker",
        description="pytest warm worker speaking the gremlin-actors worker protocol")
    parser.add_argument("--gremlins-dir", help="folder holding run.json (and manifest.json)")
    parser.add_argument("--project", help="project root (default: run.json's, else cwd)")
    parser.add_argument("--instrumented-dir", help="folder of instrumented sources")
    parser.add_argument("pytest_args", nargs="*", help="extra pytest arguments, after --")
    return parser.parse_args(argv)


def read_run_json(gremlins_dir):
    path = os.path.join(gremlins_dir, "run.json")
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except OSError as e:
        raise BadStart("%s: cannot read: %s" % (path, e.strerror)) from None
    except ValueError as e:
        raise BadStart("%s: not valid JSON: %s" % (path, e)) from None
    if not isinstance(data, dict):
        raise BadStart("%s: expected a JSON object" % path)
    checks = {"project": str, "instrumented_dir": str, "env": dict, "pytest_args": list}
    for field, kind in checks.items():
        if data.get(field) is not None and not isinstance(data[field], kind):
            raise BadStart("%s: field '%s' must be a %s" % (path, field, kind.__name__))
    return data


class Settings:
    """What the worker runs with, from the options, run.json and the environment."""

    def __init__(self, project, inst, pytest_args, env, static_ids):
        self.project = project
        self.instrumented_dir = inst
        self.pytest_args = pytest_args
        self.env = env
        self.static_ids = static_ids


def resolve_settings(args):
    run = read_run_json(args.gremlins_dir) if args.gremlins_dir else {}
    project = os.path.abspath(args.project or run.get("project") or os.getcwd())
    if not os.path.isdir(project):
        raise BadStart("project folder does not exist: %s" % project)
    env = {str(k): str(v) for k, v in (run.get("env") or {}).items()}
    inst = (args.instrumented_dir or run.get("instrumented_dir")
            or env.get("GREMLIN_INSTRUMENTED_DIR") or os.environ.get("GREMLIN_INSTRUMENTED_DIR"))
    if inst:
        inst = os.path.abspath(inst)
        if not os.path.isdir(inst):
            raise BadStart("instrumented dir does not exist: %s" % inst)
    pytest_args = DEFAULT_PYTEST_ARGS + [str(a) for a in run.get("pytest_args") or []]
    static = static_gremlins(run["manifest"]) if isinstance(run.get("manifest"), str) else set()
    return Settings(project, inst, pytest_args + list(args.pytest_args), env, static)


def static_gremlins(manifest_path):
    """The ids the manifest marks static: their code ran at import time, so switching them on
    in a warm process would test nothing."""
    try:
        with open(manifest_path, encoding="utf-8") as f:
            manifest = json.load(f)
        return {g["id"] for g in manifest["gremlins"] if g.get("static")}
    except OSError as e:
        raise BadStart("%s: cannot read the manifest: %s" % (manifest_path, e.strerror)) from None
    except (ValueError, KeyError, TypeError, AttributeError) as e:
        raise BadStart("%s: not a gremlin manifest (%s: %s)"
                       % (manifest_path, type(e).__name__, e)) from None


def protocol_fds():
    fds = []
    for name in ("GREMLIN_REQUEST_FD", "GREMLIN_REPLY_FD"):
        value = os.environ.get(name)
        if value is None or not value.isdigit():
            raise BadStart("%s must be set to a file descriptor number (got %r)" % (name, value))
        fd = int(value)
        if fd <= 2:
            raise BadStart("%s=%d: the protocol never uses stdin/stdout/stderr" % (name, fd))
        try:
            os.set_blocking(fd, True)  # the runtime's end may be non-blocking; ours must not
        except OSError:
            raise BadStart("%s=%d is not an open descriptor" % (name, fd)) from None
        fds.append(fd)
    return fds[0], fds[1]


# ---------------------------------------------------------------------------------------------
# Imports: the instrumented sources win over the project's own


class InstrumentedFirst:
    """sys.meta_path finder: a top-level module present in the instrumented dirs is always
    imported from there, whatever pytest puts in front of sys.path later."""

    def __init__(self, dirs):
        self.dirs = dirs
        self.names = set()
        for d in dirs:
            for entry in os.listdir(d):
                name = module_name(d, entry)
                if name and name not in NOT_INSTRUMENTED and not name.startswith("test_"):
                    self.names.add(name)

    def find_spec(self, fullname, path=None, target=None):
        if path is not None or fullname not in self.names:
            return None
        return importlib.machinery.PathFinder.find_spec(fullname, self.dirs)


def module_name(folder, entry):
    """The importable top-level name for a folder entry, or None."""
    if entry.endswith(".py"):
        return entry[:-3]
    if os.path.isfile(os.path.join(folder, entry, "__init__.py")):
        return entry
    return None


def put_instrumented_first(inst):
    """The instrumented dirs first on sys.path; then the switch module is imported (before
    pytest imports anything): when it installs its own sys.meta_path finder (the instrumenter's
    does), that finder keeps the instrumented modules first, else ours does."""
    dirs = [inst]
    if os.path.isdir(os.path.join(inst, "src")):
        dirs.insert(0, os.path.join(inst, "src"))
    for d in reversed(dirs):
        sys.path.insert(0, d)
    os.environ["GREMLIN_INSTRUMENTED_DIR"] = inst
    finders = len(sys.meta_path)
    try:
        importlib.import_module(SWITCH_MODULE)
    except ImportError:
        pass
    if len(sys.meta_path) == finders:
        sys.meta_path.insert(0, InstrumentedFirst(dirs))


# ---------------------------------------------------------------------------------------------
# The protocol channel


class Channel:
    """Request lines in (buffered, so requests may be pipelined), events out."""

    def __init__(self, request_fd, reply_fd):
        self.request_fd = request_fd
        self.reply_fd = reply_fd
        self.buffer = bytearray()
        self.eof = False
        self.lines_read = 0

    def fill(self):
        chunk = os.read(self.request_fd, 1 << 16)
        if chunk:
            self.buffer += chunk
        else:
            self.eof = True

    def next_line(self):
        """The next request line (bytes), or None at end of file."""
        while True:
            end = self.buffer.find(b"\n")
            if end >= 0 or (self.eof and self.buffer):
                end = len(self.buffer) if end < 0 else end
                line = bytes(self.buffer[:end])
                del self.buffer[:end + 1]
                self.lines_read += 1
                return line
            if self.eof:
                return None
            self.fill()

    def send(self, event):
        data = (json.dumps(event, separators=(",", ":")) + "\n").encode("utf-8")
        while data:
            data = data[os.write(self.reply_fd, data):]


# ---------------------------------------------------------------------------------------------
# Running tests for one gremlin


def excerpt(report):
    """A short, readable excerpt of a failed report: where and why it failed, then the end of
    the report (where the assertion's explanation is)."""
    text = report.longreprtext or ""
    crash = getattr(report.longrepr, "reprcrash", None)
    where = ""
    if crash is not None:
        path = os.path.relpath(crash.path) if os.path.isabs(crash.path) else crash.path
        where = " %s:%s: %s" % (path, crash.lineno, (crash.message or "").split("\n", 1)[0])
    head = "%s [%s]%s\n" % (report.nodeid, report.when, where)
    room = max(0, OUTPUT_LIMIT - len(head))
    return head + (text if len(text) <= room else "..." + text[len(text) - room + 3:])


def run_one(item, nextitem):
    """One test's setup, call and teardown, under the same warning filters as in a normal
    pytest run (-W, the filterwarnings ini option and marks)."""
    if catch_warnings_for_item is None:
        return runtestprotocol(item, nextitem=nextitem, log=False)
    with catch_warnings_for_item(item.config, item.ihook, "runtest", item):
        return runtestprotocol(item, nextitem=nextitem, log=False)


def run_items(session, items, on_test):
    """Run items in order, stopping at the first failed report: (status, killing_test, output)."""
    for i, item in enumerate(items):
        on_test(i)
        nextitem = items[i + 1] if i + 1 < len(items) else None
        reports = run_one(item, nextitem)
        failed = next((r for r in reports if r.failed), None)
        if failed is not None:
            if nextitem is not None:
                teardown_all(session)
            return "zapped", item.nodeid, excerpt(failed)
    return "survived", None, ""


def teardown_all(session):
    """Tear down what an early stop left set up (the next item's shared fixtures)."""
    try:
        session._setupstate.teardown_exact(None)
    except Exception as e:  # a failing finalizer after the verdict is known: keep going
        log("teardown after the first failure raised %s: %s" % (type(e).__name__, e))


def result(gremlin, status, killing_test, ms, output):
    return {"event": "result", "gremlin": gremlin, "status": status,
            "killing_test": killing_test, "ms": round(ms, 3), "output": output[:OUTPUT_LIMIT]}


# ---------------------------------------------------------------------------------------------
# The fork executor


def _load_prctl():
    try:
        import ctypes
        return ctypes.CDLL(None, use_errno=True).prctl
    except (ImportError, OSError, AttributeError):
        return None


_prctl = _load_prctl() if sys.platform.startswith("linux") else None
PR_SET_PDEATHSIG = 1


def child_main(worker, gremlin, items, verdict_w, parent):
    """The forked child: never returns, always ends with os._exit."""
    try:
        os.setpgid(0, 0)
        if _prctl is not None:
            _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != parent:  # the worker died before the death signal was armed
            os._exit(1)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGALRM, signal.SIG_DFL)
        os.close(worker.channel.request_fd)
        os.close(worker.channel.reply_fd)
        worker.switch_on(gremlin)
        status, killing, output = run_items(
            worker.session, items, lambda i: os.write(verdict_w, b"T %d\n" % i))
        verdict = {"status": status, "killing_test": killing, "output": output}
    except BaseException as e:  # noqa: B036 -- nothing may escape into the worker's loop
        verdict = {"status": "error", "killing_test": None,
                   "output": "worker child failed: %s\n%s" % (e, traceback.format_exc())}
    try:
        os.write(verdict_w, b"V " + json.dumps(verdict).encode("utf-8") + b"\n")
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        os._exit(0)


def await_child(worker, verdict_r, deadline):
    """Read the child's progress/verdict lines until the verdict, EOF or the deadline.
    Returns (verdict dict or None, index of the last test started, timed out?)."""
    poller = select.poll()
    poller.register(verdict_r, select.POLLIN)
    if not worker.channel.eof:  # drain pipelined requests meanwhile
        poller.register(worker.channel.request_fd, select.POLLIN)
    data, current = b"", -1
    while True:
        timeout = None if deadline is None else max(0, int((deadline - time.monotonic()) * 1000))
        ready = poller.poll(timeout)
        if not ready:
            return None, current, True
        for fd, _ in ready:
            if fd != verdict_r:
                worker.channel.fill()
                if worker.channel.eof:
                    poller.unregister(fd)
                continue
            chunk = os.read(verdict_r, 1 << 16)
            if not chunk:
                return None, current, False
            data += chunk
            while b"\n" in data:
                line, data = data.split(b"\n", 1)
                if line.startswith(b"V "):
                    return json.loads(line[2:].decode("utf-8")), current, False
                current = int(line[2:])


def reap(pid):
    """Kill the child's whole group (it is not reaped yet, so its group id is still ours to
    kill), then collect its exit status."""
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    _, status = os.waitpid(pid, 0)
    return status


def death_reason(status):
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        try:
            name = signal.Signals(sig).name
        except ValueError:
            name = "?"
        return "child died by signal %d (%s) without a verdict" % (sig, name)
    return "child exited with code %d without a verdict" % os.waitstatus_to_exitcode(status)


def run_forked(worker, gremlin, items, timeout_ms):
    global _current_child
    start = time.monotonic()
    deadline = start + timeout_ms / 1000.0 if timeout_ms else None
    verdict_r, verdict_w = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        os.close(verdict_r)
        child_main(worker, gremlin, items, verdict_w, worker.pid)
    _current_child = pid
    os.close(verdict_w)
    try:
        try:
            os.setpgid(pid, pid)  # also done by the child: no window where it shares our group
        except OSError:
            pass
        worker.channel.send({"event": "started", "gremlin": gremlin, "pid": pid})
        verdict, current, timed_out = await_child(worker, verdict_r, deadline)
    finally:
        os.close(verdict_r)
        status = reap(pid)
        _current_child = None
    ms = (time.monotonic() - start) * 1000.0
    if timed_out:
        where = items[current].nodeid if 0 <= current < len(items) else "set-up"
        verdict = {"status": "timeout", "killing_test": None,
                   "output": "timed out after %d ms in %s" % (timeout_ms, where)}
    elif verdict is None:
        verdict = {"status": "error", "killing_test": None, "output": death_reason(status)}
    return result(gremlin, verdict["status"], verdict["killing_test"], ms, verdict["output"])


# ---------------------------------------------------------------------------------------------
# The inprocess executor


class GremlinTimeout(Exception):
    """Raised inside the running test when an inprocess run passes its time limit."""


class Alarm:
    """A one-shot SIGALRM for inprocess runs: raises GremlinTimeout in whatever runs at the
    deadline (the test: pytest records it as that test's failure and the run stops there)."""

    def __init__(self, timeout_ms):
        self.timeout_ms = timeout_ms
        self.fired = False
        self.previous = None

    def ring(self, signum, frame):
        self.fired = True
        raise GremlinTimeout("gremlin run passed its %d ms limit" % self.timeout_ms)

    def __enter__(self):
        if self.timeout_ms:
            self.previous = signal.signal(signal.SIGALRM, self.ring)
            signal.setitimer(signal.ITIMER_REAL, self.timeout_ms / 1000.0)
        return self

    def __exit__(self, *exc):
        if self.timeout_ms:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self.previous)
        return False


def run_inprocess(worker, gremlin, items, timeout_ms):
    start = time.monotonic()
    current = [-1]
    alarm = Alarm(timeout_ms)
    try:
        worker.switch_on(gremlin)
        with alarm:
            status, killing, output = run_items(worker.session, items,
                                                lambda i: current.__setitem__(0, i))
    except Exception as e:
        teardown_all(worker.session)
        status, killing = "error", None
        output = "inprocess run failed: %s\n%s" % (e, traceback.format_exc())
    finally:
        worker.switch_on(None)
    if alarm.fired:
        where = items[current[0]].nodeid if current[0] >= 0 else "set-up"
        status, killing = "timeout", None
        output = "timed out after %d ms in %s (interrupted inside the worker)" % (timeout_ms,
                                                                                  where)
    return result(gremlin, status, killing, (time.monotonic() - start) * 1000.0, output)


# ---------------------------------------------------------------------------------------------
# The command loop


def check_run(request, items_by_id, all_items, switch, static_ids):
    """(gremlin, items, timeout_ms, executor) for a well-formed run, else a reason string."""
    gremlin = request.get("gremlin")
    if gremlin is not None and not isinstance(gremlin, str):
        return "field 'gremlin' must be a string or null"
    tests = request.get("tests") or []
    if not isinstance(tests, list) or not all(isinstance(t, str) for t in tests):
        return "field 'tests' must be a list of test node ids"
    timeout_ms = request.get("timeout_ms")
    if timeout_ms is not None and (isinstance(timeout_ms, bool)
                                   or not isinstance(timeout_ms, (int, float)) or timeout_ms < 0):
        return "field 'timeout_ms' must be a number of milliseconds (0: no limit)"
    executor = request.get("executor") or "fork"
    if executor not in CAPABILITIES:
        return "field 'executor' must be one of %s, got %r" % (", ".join(CAPABILITIES), executor)
    unknown = [t for t in tests if t not in items_by_id]
    if unknown:
        return "unknown test id(s), not among the %d collected: %s" % (
            len(items_by_id), ", ".join(unknown[:5]) + (" ..." if len(unknown) > 5 else ""))
    if gremlin in static_ids:
        return ("gremlin %s is static (its code runs at import time): it needs a cold run in a "
                "fresh process, not a warm worker" % gremlin)
    if gremlin and switch is None:
        return "no %s module is importable: is the instrumented dir set?" % SWITCH_MODULE
    items = [items_by_id[t] for t in tests] if tests else all_items
    return gremlin, items, timeout_ms, executor


class WarmWorker:
    """The pytest plugin: records collection errors, then takes over the run-test loop."""

    def __init__(self, channel, static_ids=frozenset()):
        self.channel = channel
        self.static_ids = static_ids
        self.pid = os.getpid()
        self.session = None
        self.switch = None
        self.collect_errors = []
        self.ready_sent = False

    def pytest_collectreport(self, report):
        if report.failed:
            self.collect_errors.append("%s\n%s" % (report.nodeid, report.longreprtext))

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session):
        self.session = session
        if session.testsfailed or self.collect_errors:
            message = "collection failed: %d error(s)\n%s" % (
                max(session.testsfailed, len(self.collect_errors)), "\n".join(self.collect_errors))
            self.channel.send({"event": "error", "message": message[:4 * OUTPUT_LIMIT]})
            raise session.Interrupted("collection failed")
        self.switch = import_switch()
        items = list(session.items)
        by_id = {item.nodeid: item for item in items}
        gc.freeze()  # forked children then do not copy the collected objects when gc runs
        self.channel.send({"event": "ready", "protocol": PROTOCOL_VERSION, "pid": self.pid,
                           "capabilities": CAPABILITIES, "tests": len(items)})
        self.ready_sent = True
        self.serve(items, by_id)
        return True

    def switch_on(self, gremlin):
        """Make gremlin (None or "" = none) the active one."""
        if self.switch is not None:
            self.switch.set_active(gremlin or None)

    def serve(self, items, by_id):
        """The command loop: one request at a time until shutdown or end of file."""
        try:
            while True:
                line = self.channel.next_line()
                if line is None:
                    return
                request = parse_request(line, self.channel.lines_read)
                if request is None:
                    continue
                if request["op"] == "shutdown":
                    return
                self.channel.send(self.answer(request, items, by_id))
        except BrokenPipeError:  # the runtime is gone: any child was reaped on the way out
            log("reply descriptor closed: exiting")

    def answer(self, request, items, by_id):
        checked = check_run(request, by_id, items, self.switch, self.static_ids)
        if isinstance(checked, str):
            gremlin = request.get("gremlin")
            echo = gremlin if isinstance(gremlin, str) else None
            return result(echo, "error", None, 0.0, checked)
        gremlin, run_items_, timeout_ms, executor = checked
        if executor == "inprocess":
            return run_inprocess(self, gremlin, run_items_, timeout_ms)
        return run_forked(self, gremlin, run_items_, timeout_ms)


def parse_request(line, number):
    """The request object, or None (logged) for a line that is not a known request."""
    if not line.strip():
        return None
    try:
        request = json.loads(line.decode("utf-8"))
    except ValueError as e:
        log("request line %d ignored: not JSON (%s): %.200r" % (number, e, line))
        return None
    if not isinstance(request, dict) or request.get("op") not in ("run", "shutdown"):
        log("request line %d ignored: not a run or shutdown request: %.200r" % (number, line))
        return None
    return request


def import_switch():
    try:
        module = importlib.import_module(SWITCH_MODULE)
    except ImportError:
        log("no %s module: runs with a gremlin will be errors" % SWITCH_MODULE)
        return None
    module.set_active(None)
    return module


# ---------------------------------------------------------------------------------------------
# Entry point


def on_sigterm(signum, frame):
    if _current_child is not None:
        try:
            os.killpg(_current_child, signal.SIGKILL)
        except OSError:
            pass
    os._exit(128 + signum)


def start(argv):
    """Settings, descriptors and imports set up: (channel, settings)."""
    try:
        args, bad_args = parse_args(argv), None  # first, so that --help needs no descriptors
    except BadStart as e:
        args, bad_args = None, e
    request_fd, reply_fd = protocol_fds()
    channel = Channel(request_fd, reply_fd)
    try:
        if bad_args is not None:
            raise bad_args
        settings = resolve_settings(args)
    except BadStart as e:
        fail_start(channel, str(e))
    os.environ.update(settings.env)
    if os.environ.pop("ACTIVE_GREMLIN", None) is not None:
        log("ACTIVE_GREMLIN ignored: a warm worker starts with no gremlin active")
    os.chdir(settings.project)
    if settings.instrumented_dir:
        put_instrumented_first(settings.instrumented_dir)
    return channel, settings


def fail_start(channel, message):
    log(message)
    try:
        channel.send({"event": "error", "message": message})
    except OSError:
        pass
    sys.exit(2)


def main(argv=None):
    try:
        channel, settings = start(sys.argv[1:] if argv is None else argv)
    except BadStart as e:
        log(str(e))
        return 2
    signal.signal(signal.SIGTERM, on_sigterm)
    worker = WarmWorker(channel, settings.static_ids)
    code = pytest.main(settings.pytest_args, plugins=[worker])
    if worker.ready_sent:
        return 0
    if not worker.collect_errors and worker.session is None:  # pytest stopped before collecting
        fail_start(channel, "collection failed: pytest exited with code %s before collecting "
                   "(bad arguments or a broken conftest: see stderr/stdout)" % int(code))
    return int(code) or 1


if __name__ == "__main__":
    sys.exit(main())
