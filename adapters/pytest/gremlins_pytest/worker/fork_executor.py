"""The fork executor: a child per run request, in its own process group.

The child arms a parent-death signal (Linux), so it never outlives the worker, runs the tests
with the gremlin switched on and writes which test is running and then its verdict on a
``Board``: pages shared with the worker, which reads them once the child has ended (nothing
the child does can block on them, and the worker is woken once per gremlin, by the child's
exit, seen on a pidfd).  The worker sends ``started`` with the child's pid, enforces
``timeout_ms`` by killing the child's whole group, and kills that group after every run, so
processes started by tests do not linger.  A child that dies without a verdict while a test
runs with a gremlin on gives ``zapped`` by that test (as a cold run would); otherwise ``error``
with the reason.
"""

import gc
import json
import mmap
import os
import select
import signal
import struct
import sys
import time
import traceback

from . import running, timing
from .running import result, run_items
_current_child = None  # pid of the fork child in flight, for the SIGTERM handler


def _load_prctl():
    try:
        import ctypes
        return ctypes.CDLL(None, use_errno=True).prctl
    except (ImportError, OSError, AttributeError):
        return None


_prctl = _load_prctl() if sys.platform.startswith("linux") else None
PR_SET_PDEATHSIG = 1


class Board:
    """Anonymous shared pages (``MAP_SHARED``, inherited by the fork): the index of the test
    running (+1; 0 = none yet) at offset 0, the verdict's length at 8, its JSON from 16.  The
    length is written after the bytes, so a verdict is whole or absent."""

    SIZE = 1 << 16

    def __init__(self):
        self.map = mmap.mmap(-1, self.SIZE)

    def reset(self):
        struct.pack_into("qq", self.map, 0, 0, 0)

    def set_test(self, index):
        struct.pack_into("q", self.map, 0, index + 1)

    def current(self):
        return struct.unpack_from("q", self.map, 0)[0] - 1

    def put_verdict(self, verdict):
        data = json.dumps(verdict).encode("utf-8")
        if len(data) > self.SIZE - 16:  # cannot happen with outputs of OUTPUT_LIMIT characters
            verdict = dict(verdict, output=verdict.get("output", "")[:500])
            data = json.dumps(verdict).encode("utf-8")[:self.SIZE - 16]
        self.map[16:16 + len(data)] = data
        struct.pack_into("q", self.map, 8, len(data))

    def verdict(self):
        size = struct.unpack_from("q", self.map, 8)[0]
        if not 0 < size <= self.SIZE - 16:
            return None
        try:
            return json.loads(bytes(self.map[16:16 + size]).decode("utf-8"))
        except ValueError:
            return None


_board = None


def board():
    """The worker's one Board (a child at a time uses it)."""
    global _board
    if _board is None:
        _board = Board()
    return _board


def child_main(worker, gremlin, items, shared, parent):
    """The forked child: never returns, always ends with os._exit."""
    times = {"child": timing.now()} if timing.enabled else None
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
        if times is not None:
            timing.forget_file()
            times["setup"] = timing.now()
        status, killing, output = run_items(worker.session, items, shared.set_test)
        verdict = {"status": status, "killing_test": killing, "output": output}
        if times is not None:
            times["tests_done"] = timing.now()
            verdict["timing"] = times
            verdict["tests_s"] = running.last_tests_s
    except BaseException as e:  # noqa: B036 -- nothing may escape into the worker's loop
        verdict = {"status": "error", "killing_test": None,
                   "output": "worker child failed: %s\n%s" % (e, traceback.format_exc())}
    try:
        if times is not None:
            times["verdict_sent"] = timing.now()
        shared.put_verdict(verdict)
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        os._exit(0)


def exited(pid):
    """Whether the child has ended (it is left to be reaped)."""
    try:
        return os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
    except ChildProcessError:
        return True


def open_pidfd(pid):
    try:
        return os.pidfd_open(pid)
    except (AttributeError, OSError):  # before Linux 5.3: exited() is polled instead
        return None


def await_exit(worker, pid, deadline, pidfd, ended=exited):
    """Wait until the child has ended (True) or the deadline passed (False), reading
    pipelined requests meanwhile.  With a pidfd this wakes once; without one it polls
    ``ended(pid)`` (a child of another process, such as the zygote's, needs another test)."""
    poller = select.poll()
    if pidfd is not None:
        poller.register(pidfd, select.POLLIN)
    if not worker.channel.eof:
        poller.register(worker.channel.request_fd, select.POLLIN)
    while True:
        left = None if deadline is None else max(0, int((deadline - time.monotonic()) * 1000))
        if pidfd is None:
            if ended(pid):
                return True
            left = 10 if left is None else min(left, 10)
        ready = poller.poll(left)
        for fd, _ in ready:
            if fd == pidfd:
                return True
            worker.channel.fill()
            if worker.channel.eof:
                poller.unregister(fd)
        if deadline is not None and time.monotonic() >= deadline:
            return ended(pid)


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


def run_forked(worker, gremlin, items, timeout_ms, times=None):
    """One gremlin in a forked child: the ``result`` event.  ``times``: the phase timestamps
    (timing.py) to fill in, or None."""
    global _current_child
    start = time.monotonic()
    deadline = start + timeout_ms / 1000.0 if timeout_ms else None
    shared = board()
    shared.reset()
    sys.stdout.flush()
    sys.stderr.flush()
    gc.freeze()  # what the worker allocated since the last fork: the child does not copy it
    if times is not None:
        times["fork"] = timing.now()
    pid = os.fork()
    if pid == 0:
        child_main(worker, gremlin, items, shared, worker.pid)
    if times is not None:
        times["forked"] = timing.now()
    _current_child = pid
    pidfd = open_pidfd(pid)
    try:
        try:
            os.setpgid(pid, pid)  # also done by the child: no window where it shares our group
        except OSError:
            pass
        worker.channel.send({"event": "started", "gremlin": gremlin, "pid": pid})
        ended = await_exit(worker, pid, deadline, pidfd)
        verdict = shared.verdict()
        timed_out = not ended and verdict is None
        if times is not None:
            times["verdict"] = timing.now()
            if verdict is not None:
                times.update(verdict.pop("timing", {}))
                times["tests_s"] = verdict.pop("tests_s", 0.0)
    finally:
        if pidfd is not None:
            os.close(pidfd)
        status = reap(pid)
        _current_child = None
        if times is not None:
            times["reaped"] = timing.now()
    current = shared.current()
    ms = (time.monotonic() - start) * 1000.0
    if timed_out:
        where = items[current].nodeid if 0 <= current < len(items) else "set-up"
        verdict = {"status": "timeout", "killing_test": None,
                   "output": "timed out after %d ms in %s" % (timeout_ms, where)}
    elif verdict is None and gremlin and 0 <= current < len(items):
        # The child ended while a test ran with the gremlin on (os._exit, a crash): that test
        # did not pass, as a cold run of the suite would say.
        verdict = {"status": "zapped", "killing_test": items[current].nodeid,
                   "output": death_reason(status) + " while running " + items[current].nodeid}
    elif verdict is None:
        verdict = {"status": "error", "killing_test": None, "output": death_reason(status)}
    return result(gremlin, verdict["status"], verdict["killing_test"], ms, verdict["output"])


def kill_current_child():
    """Kill the process group of the child in flight, if any (the worker is being ended)."""
    if _current_child is not None:
        try:
            os.killpg(_current_child, signal.SIGKILL)
        except OSError:
            pass
