"""The fork executor: a child per run request, in its own process group.

The child arms a parent-death signal (Linux), so it never outlives the worker, runs the tests
with the gremlin switched on and writes its progress ("T <index>") and its verdict
("V <json>") on a pipe.  The worker sends ``started`` with the child's pid, enforces
``timeout_ms`` by killing the child's whole group, and kills that group after every run, so
processes started by tests do not linger.  A child that dies without a verdict while a test
runs with a gremlin on gives ``zapped`` by that test (as a cold run would); otherwise ``error``
with the reason.
"""

import json
import os
import select
import signal
import sys
import time
import traceback

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
