"""One gremlin in a fresh interpreter (the "cold" run)::

    ACTIVE_GREMLIN=<id> python -m gremlins_pytest.cold --gremlins-dir OUT [--report FILE]
                                                      [-- PYTEST_ARGS]

Runs pytest in the project's folder, with the gremlin of ``ACTIVE_GREMLIN`` switched on from
the start (so import-time "static" gremlins take effect), over that gremlin's tests from the
manifest in manifest order (every test when the gremlin is not in the manifest or none is
active), stopping at the first failure.  The arguments are run.json's ``pytest_args`` (which
block coverage plugins), then ``-x -q --tb=line`` (failures formatted the cheap way the warm
worker formats them), then PYTEST_ARGS.

pytest runs in a forked child, watched by this process: the child reports every test as it
starts and ends, and its verdict once pytest has returned, on an anonymous file both share.  A
run counts as passing only when pytest finished the session and every selected test ran to
its end without failing; so a test that ends the process (``os._exit(0)``), a ``SystemExit``
that escapes pytest (a conftest calling ``sys.exit(0)``) or a ``pytest.exit(returncode=0)``
does not make a gremlin survive.

Exit code (what the runtime classifies: 0 survived, 1 zapped, 2-5 error):

- 0: the session finished and every selected test passed;
- 1: a test failed (pytest names it on a ``FAILED`` line); or, with a gremlin active, the
  gremlin broke the suite: a conftest or test module failed to import or collect (pytest's
  exit 4 or 2; the baseline collected cleanly), the process ended during a test or before
  pytest finished, or the session stopped before every selected test ran.  This runner then
  prints ``FAILED <id> - <reason>`` itself, <id> being the test that was running or the module
  that failed to import;
- 2: bad usage (argparse, an unusable run.json or manifest), or pytest's own 2;
- 3: with no gremlin active, the session did not finish; pytest's internal error;
- 4, 5: pytest's usage error, no tests collected; 5 also for a gremlin whose manifest entry
  has ``"tests": []``;
- killed by a signal: the child was killed by that signal (this process ends by it too).

``--report FILE`` writes {"gremlin", "exit_code", "killing_test", "ms", "output"}
(``exit_code`` is -N for signal N).
"""

import time

_STARTED_NS = time.monotonic_ns()  # before the imports: the bench splits the start-up by it

import argparse  # noqa: E402
import gc  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import signal  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import traceback  # noqa: E402

import pytest  # noqa: E402

from .errors import UsageError
from .protocol import OUTPUT_LIMIT
from .pytest_support import SelectTests, import_switch, parse_with_extra
from .run_json import read_json, read_run

#: After run.json's pytest_args: stop at the first failure, one line per failure.  The warm
#: worker uses --tb=line too: --tb=short re-reads the statement of every traceback entry, which
#: takes tens of seconds for a RecursionError's thousand frames in a large module.
COLD_ARGS = ["-x", "-q", "--tb=line"]

SURVIVED, ZAPPED, NOT_FINISHED = 0, 1, 3
#: The child's exit code when something outside pytest failed in it.
CHILD_CRASHED = 70


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m gremlins_pytest.cold")
    parser.add_argument("--gremlins-dir", required=True, help="the folder holding run.json")
    parser.add_argument("--report", help="write the outcome as JSON to this file")
    return parse_with_extra(parser, argv)


def covering_tests(manifest, gremlin):
    """The gremlin's tests from the manifest, or None (run everything) when unknown."""
    if not gremlin:
        return None
    for entry in manifest.get("gremlins", []):
        if isinstance(entry, dict) and entry.get("id") == gremlin:
            tests = entry.get("tests")
            return list(tests) if isinstance(tests, list) else None
    return None


class Channel:
    """An anonymous file shared by this process and its forked child: the child appends lines
    (``T <nodeid>`` a test starts, ``E <nodeid>`` it ended, ``V <json>`` the verdict), this
    process reads them once the child is gone.  Nothing can block on it, whatever the child
    or the processes it starts do."""

    def __init__(self):
        try:
            self.fd = os.memfd_create("gremlins-cold")
        except (AttributeError, OSError):
            with tempfile.TemporaryFile() as handle:
                self.fd = os.dup(handle.fileno())

    def write(self, line):
        data = (line.replace("\n", " ") + "\n").encode("utf-8", errors="replace")
        while data:
            data = data[os.write(self.fd, data):]

    def lines(self):
        size = os.fstat(self.fd).st_size
        data = os.pread(self.fd, size, 0) if size else b""
        return data.decode("utf-8", errors="replace").splitlines()


def module_id(path, rootdir):
    """A path as pytest names it: relative to the rootdir, with forward slashes."""
    path = os.path.abspath(str(path))
    try:
        rel = os.path.relpath(path, rootdir)
    except ValueError:
        return path
    return path if rel.startswith("..") else rel.replace(os.sep, "/")


def innermost_conftest(tb, rootdir):
    """The innermost conftest.py frame of a traceback (the conftest being loaded), or None."""
    found = None
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if os.path.basename(filename) == "conftest.py":
            found = module_id(filename, rootdir)
        tb = tb.tb_next
    return found


def first_line(exc):
    text = "%s: %s" % (type(exc).__name__, exc) if str(exc) else type(exc).__name__
    return text.splitlines()[0] if text else "?"


class ColdSession:
    """pytest plugin in the child: the first failed test, the first conftest or test module
    that failed to import or collect, which test is running (written to the channel), and
    whether the session ran every selected test to its end."""

    def __init__(self, channel):
        self.channel = channel
        self.rootdir = os.getcwd()
        self.killing_test = None
        self.output = ""
        self.broken_module = None  # (module id, reason)
        self.selected = None
        self.finished = 0
        self.running = None
        self.session_finished = False
        self.tests_s = 0.0  # the tests' own time (their reports' durations)

    def note_broken(self, module, reason, output):
        if self.broken_module is None:
            self.broken_module = (module, reason)
            if not self.output:
                self.output = output[-OUTPUT_LIMIT:]

    @pytest.hookimpl(hookwrapper=True)
    def pytest_load_initial_conftests(self, early_config):
        # The conftest files pytest loads before collecting: a failure here ends pytest.main
        # with exit code 4 ("ImportError while loading conftest") and no report.
        outcome = yield
        if outcome.excinfo is None:
            return
        self.rootdir = str(getattr(early_config, "rootpath", self.rootdir))
        exc = outcome.excinfo[1]
        path = getattr(exc, "path", None)
        cause = getattr(exc, "excinfo", None)
        if path is not None:
            module = module_id(path, self.rootdir)
        else:
            module = innermost_conftest(outcome.excinfo[2], self.rootdir)
        if isinstance(cause, tuple) and len(cause) == 3 and cause[1] is not None:
            exc = cause[1]
            text = "".join(traceback.format_exception(*cause))
        else:
            text = "".join(traceback.format_exception(*outcome.excinfo))
        if module is not None:
            self.note_broken(module, "collection failed: conftest import: %s" % first_line(exc),
                             text)

    def pytest_configure(self, config):
        self.rootdir = str(getattr(config, "rootpath", self.rootdir))

    def pytest_exception_interact(self, node, call, report):
        # Also called for a failed collector; its exception names a conftest that failed to
        # load during collection (ConftestImportFailure has the path).
        if getattr(report, "when", None) != "collect" or call.excinfo is None:
            return
        exc = call.excinfo.value
        path = getattr(exc, "path", None)
        cause = getattr(exc, "excinfo", None)
        module = module_id(path, self.rootdir) if path is not None else (node.nodeid or ".")
        if isinstance(cause, tuple) and len(cause) == 3 and cause[1] is not None:
            exc = cause[1]
        self.note_broken(module, "collection failed: %s" % first_line(exc),
                         str(report.longrepr))

    def pytest_collectreport(self, report):
        if report.failed:
            self.note_broken(report.nodeid or ".", "collection failed", str(report.longrepr))

    def pytest_collection_finish(self, session):
        self.selected = len(session.items)

    def pytest_runtest_logstart(self, nodeid, location):
        self.running = nodeid
        self.channel.write("T " + nodeid)

    def pytest_runtest_logreport(self, report):
        self.tests_s += report.duration
        if report.failed and self.killing_test is None:
            self.killing_test = report.nodeid
            self.output = str(report.longrepr)[-OUTPUT_LIMIT:]

    def pytest_runtest_logfinish(self, nodeid, location):
        self.finished += 1
        self.running = None
        self.channel.write("E " + nodeid)

    def pytest_sessionfinish(self, session, exitstatus):
        self.session_finished = True


def decide(watch, code, aborted, active):
    """The child's verdict: (exit code, killing test, reason for a FAILED line or None).

    ``code`` is pytest.main's (None when ``aborted``, the exception that ended it, is set);
    ``active``: a gremlin is switched on, so whatever broke the suite, it did."""
    if watch.killing_test is not None:
        return ZAPPED, watch.killing_test, None  # pytest printed its FAILED line
    broken = watch.broken_module
    if aborted is not None:
        where = watch.running or (broken[0] if broken else None)
        reason = "pytest did not finish: %s escaped it" % aborted
        if watch.running:
            reason += " during this test"
        return (ZAPPED if active else NOT_FINISHED), where, reason
    if broken is not None and code != 0:
        if active:
            return ZAPPED, broken[0], "%s with the gremlin active (pytest exit code %d)" % (
                broken[1], code)
        return code, None, None
    if code == 0 and not (watch.session_finished and watch.selected is not None
                          and watch.finished >= watch.selected):
        reason = "the session stopped after %d of %s selected tests" % (
            watch.finished, "?" if watch.selected is None else watch.selected)
        return (ZAPPED if active else NOT_FINISHED), watch.running, reason
    return code, None, None


def child_main(channel, run_info, tests, gremlin, extra_args, parent):
    """The forked child: runs pytest, writes its verdict, ends with os._exit."""
    code = CHILD_CRASHED
    try:
        _arm_parent_death(parent)
        os.chdir(run_info["project"])
        import_switch(run_info["instrumented_dir"])
        watch = ColdSession(channel)
        plugins = [watch] + ([SelectTests(tests)] if tests is not None else [])
        args = list(run_info.get("pytest_args") or []) + COLD_ARGS + list(extra_args)
        aborted = None
        pytest_ns = time.monotonic_ns()
        try:
            pytest_code = int(pytest.main(args, plugins=plugins))
        except BaseException as exc:  # noqa: B036 -- SystemExit from a conftest, say
            pytest_code, aborted = None, first_line(exc)
            watch.output = watch.output or traceback.format_exc()[-OUTPUT_LIMIT:]
        code, killing, reason = decide(watch, pytest_code, aborted, bool(gremlin))
        channel.write("V " + json.dumps({"exit_code": code, "killing_test": killing,
                                         "reason": reason, "output": watch.output,
                                         "timing": {"pytest": pytest_ns,
                                                    "pytest_done": time.monotonic_ns(),
                                                    "tests_s": watch.tests_s}}))
    except BaseException:  # noqa: B036 -- nothing may escape a forked child
        traceback.print_exc()
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def _arm_parent_death(parent):
    """Linux: the child gets SIGKILL when this runner dies, so it never outlives it."""
    if sys.platform.startswith("linux"):
        try:
            import ctypes
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        except (ImportError, OSError, AttributeError):
            pass
    if os.getppid() != parent:
        os._exit(CHILD_CRASHED)


def read_child(channel):
    """(verdict dict or None, the test that started and did not end, or None)."""
    verdict, running = None, None
    for line in channel.lines():
        kind, _, rest = line.partition(" ")
        if kind == "T":
            running = rest
        elif kind == "E":
            running = None
        elif kind == "V":
            try:
                verdict = json.loads(rest)
            except ValueError:
                verdict = None
    return verdict, running


def supervise(run_info, tests, gremlin, extra_args):
    """Fork the child, wait for it: (exit code, killing test, output, signal or None)."""
    channel = Channel()
    sys.stdout.flush()
    sys.stderr.flush()
    gc.freeze()  # the child then does not copy this process's objects when its gc runs
    pid = os.fork()
    if pid == 0:
        child_main(channel, run_info, tests, gremlin, extra_args, os.getppid())
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C: the child decides
    try:
        _, status = os.waitpid(pid, 0)
    finally:
        signal.signal(signal.SIGINT, previous)
    verdict, running = read_child(channel)
    os.close(channel.fd)
    global _child_timing
    _child_timing = verdict.pop("timing", None) if verdict is not None else None
    if verdict is not None:
        code, killing = int(verdict["exit_code"]), verdict.get("killing_test")
        if verdict.get("reason") and killing:
            print_failed(killing, verdict["reason"])
        elif verdict.get("reason"):
            log(verdict["reason"])
        return code, killing, verdict.get("output") or "", None
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        return -sig, running, "killed by signal %d" % sig, sig
    exit_code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else CHILD_CRASHED
    reason = "the test process exited with code %d before pytest finished" % exit_code
    if running:
        reason += ", during this test"
        print_failed(running, reason)
    else:
        log(reason)
    return (ZAPPED if gremlin else NOT_FINISHED), running, reason, None


def print_failed(nodeid, reason):
    """A ``FAILED`` line as pytest's summary has it: the runtime takes the killing test from
    the first such line."""
    sys.stdout.write("FAILED %s - %s\n" % (nodeid, reason))
    sys.stdout.flush()


def log(message):
    sys.stderr.write("gremlins_pytest.cold: %s\n" % message)
    sys.stderr.flush()


_child_timing = None  # the last child's phase timestamps, for record_timing


def record_timing(gremlin, code, child_timing, started_ns, main_ns):
    """With GREMLIN_WORKER_TIMING=FILE (the benches): one JSON line of phase timestamps."""
    path = os.environ.get("GREMLIN_WORKER_TIMING")
    if not path:
        return
    t = {"started": started_ns, "main": main_ns, "end": time.monotonic_ns()}
    t.update(child_timing or {})
    import resource
    me, children = (resource.getrusage(who) for who in (resource.RUSAGE_SELF,
                                                         resource.RUSAGE_CHILDREN))
    cpu_us = int((me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime) * 1e6)
    line = json.dumps({"gremlin": gremlin, "executor": "cold", "exit_code": code, "t": t,
                       "cpu_us": cpu_us})
    try:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            os.write(fd, (line + "\n").encode("utf-8"))
        finally:
            os.close(fd)
    except OSError:
        pass


def run(args):
    """(exit code, killing test, ms, output, signal or None)."""
    run_info = read_run(os.path.abspath(args.gremlins_dir),
                        required=("project", "instrumented_dir", "manifest"))
    manifest = read_json(run_info["manifest"], "manifest")
    gremlin = os.environ.get("ACTIVE_GREMLIN") or None
    tests = covering_tests(manifest, gremlin)
    if tests == []:
        log("no test covers %s" % gremlin)
        return 5, None, 0.0, "", None
    main_ns = time.monotonic_ns()
    start = time.perf_counter()
    code, killing, output, sig = supervise(run_info, tests, gremlin, args.pytest_args)
    record_timing(gremlin, code, _child_timing, _STARTED_NS, main_ns)
    return code, killing, (time.perf_counter() - start) * 1000.0, output, sig


def main(argv=None):
    try:
        args = parse_args(sys.argv[1:] if argv is None else argv)
        code, killing_test, ms, output, sig = run(args)
    except UsageError as exc:
        log("error: %s" % exc)
        return 2
    if args.report:
        with open(args.report, "w", encoding="utf-8") as handle:
            json.dump({"gremlin": os.environ.get("ACTIVE_GREMLIN") or None, "exit_code": code,
                       "killing_test": killing_test, "ms": round(ms, 3),
                       "output": output[-OUTPUT_LIMIT:]}, handle)
    if sig is not None:  # end the way the child ended, so the runtime sees the signal
        sys.stdout.flush()
        sys.stderr.flush()
        signal.signal(sig, signal.SIG_DFL)
        os.kill(os.getpid(), sig)
        return 128 + sig
    return code


if __name__ == "__main__":
    sys.exit(main())
