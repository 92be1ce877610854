"""Static (import-time) gremlins, warm: the zygote.

A static gremlin changes code that runs when the project is imported (a module-level
constant, a default argument, a decorator's argument, a class body), so switching it on in a
process that has imported the project tests nothing: it needs the project imported afresh
with the gremlin on.  It does not need a fresh interpreter.  Before pytest imports anything of
the project (no conftest, no test module, no module under test), the worker forks a *zygote*:
a process that has imported pytest, its built-in plugins, the installed plugins and this
package, and nothing else.  For each static gremlin the zygote forks a child that switches the
gremlin on (``ACTIVE_GREMLIN`` and the switch module) and then does exactly what the cold
runner's child does (``gremlins_pytest.cold.child_main``): a whole pytest session, from
configuration and conftest loading through collection of the gremlin's tests to their run,
judged by the same rules.  The verdict is the cold runner's, minus the interpreter start and
the imports of pytest and its plugins.

Worker and zygote talk over a socket pair, one JSON object a line: ``{"op": "run",
"gremlin", "tests"}`` → ``{"pid"}`` (the child, already leading its own process group);
``{"op": "reap"}`` → ``{"status"}`` (its wait status, once the worker has killed its group).
The child writes what the cold runner's child writes (``T``/``E``/``V`` lines) on an
anonymous file the worker created before forking the zygote; the worker reads it once the
child has ended (a pidfd says when), so nothing there can block.  The zygote is in the
worker's process group and dies with it (a parent-death signal too); its children get a
parent-death signal from it.  The zygote is single-threaded and forked before any project
code ran, so it may fork even when the worker may not (fork_safety.py).

Classification, as the runtime classifies the cold command by default: exit 0 survived; 1 or
any code but 2-5 zapped (the killing test from the cold runner's verdict); 2-5 error; killed
by a signal zapped; the time limit ``timeout``.
"""

import gc
import importlib
import json
import os
import resource
import signal
import socket
import sys
import time

from ..switch import MODULE_NAME as SWITCH_MODULE
from . import timing
from .fork_executor import PR_SET_PDEATHSIG, _prctl, death_reason, open_pidfd
from .log import log
from .running import result

#: Exit codes the runtime's cold classification treats as "no verdict" by default.
ERROR_CODES = (2, 3, 4, 5)
#: Protocol variables a cold run does not have: removed in the zygote's children.
PROTOCOL_VARIABLES = ("GREMLIN_PROTOCOL", "GREMLIN_REQUEST_FD", "GREMLIN_REPLY_FD")


def send_line(sock, message):
    sock.sendall(json.dumps(message).encode("utf-8") + b"\n")


def read_line(reader):
    """The next JSON line from a socket's reader, or None at end of file."""
    line = reader.readline()
    return json.loads(line.decode("utf-8")) if line.endswith(b"\n") else None


def preimport_plugins():
    """pytest's built-in plugins and the installed ones (``pytest11`` entry points): what
    every session imports before it reads a conftest.  Failures are left to the session."""
    try:
        from _pytest.config import default_plugins
        for name in default_plugins:
            try:
                importlib.import_module("_pytest." + name)
            except Exception:  # noqa: BLE001 -- the session will say it again, properly
                pass
    except ImportError:
        pass
    try:
        from importlib.metadata import entry_points
        for ep in entry_points(group="pytest11"):
            try:
                importlib.import_module(ep.module)
            except Exception:  # noqa: BLE001 -- likewise
                pass
    except Exception:  # noqa: BLE001 -- no metadata: nothing to pre-import
        pass


class Zygote:
    """The worker's handle on its zygote."""

    def __init__(self, pid, sock, channel, run_info, extra_args):
        self.pid = pid
        self.sock = sock
        self.reader = sock.makefile("rb")
        self.channel = channel
        self.run_info = run_info
        self.extra_args = extra_args
        self.broken = None  # why the zygote cannot be used any more
        self.children_cpu_us = 0  # CPU of the zygote's reaped children, for timing.py

    def ask(self, message):
        send_line(self.sock, message)
        answer = read_line(self.reader)
        if answer is None:
            raise OSError("the zygote closed its socket")
        return answer


def start(settings, protocol_fds):
    """Fork the zygote now (nothing of the project imported yet): a Zygote, or None when
    there is nothing for it to do or it cannot be started (logged)."""
    run_info = settings.run_info
    if not settings.static_ids or not run_info or not settings.instrumented_dir:
        return None
    run_info = dict(run_info, project=settings.project,
                    instrumented_dir=settings.instrumented_dir)
    try:
        parent_sock, child_sock = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        channel = os.memfd_create("gremlins-zygote")  # what cold.Channel wraps
    except (OSError, AttributeError) as e:
        log("no zygote (%s): static gremlins will be errors in this worker" % e)
        return None
    sys.stdout.flush()
    sys.stderr.flush()
    parent = os.getpid()
    pid = os.fork()
    if pid == 0:
        parent_sock.close()
        zygote_main(child_sock, channel, run_info, settings.extra_args, parent, protocol_fds)
    child_sock.close()
    return Zygote(pid, parent_sock, channel, run_info, settings.extra_args)


def zygote_main(sock, channel, run_info, extra_args, parent, protocol_fds):
    """The zygote: never returns."""
    try:
        if _prctl is not None:
            _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != parent:
            os._exit(1)
        for fd in protocol_fds:
            os.close(fd)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # as the cold runner: the child decides
        # Imported here, not in the worker: cold imports gremlins_pytest.pytest_support, a
        # plugin that the worker's own session must import itself (pytest warns otherwise).
        from .. import cold  # noqa: F401
        preimport_plugins()
        gc.collect()
        gc.freeze()
        me = os.getpid()
        child = None
        reader = sock.makefile("rb")
        while True:
            request = read_line(reader)
            if request is None:
                os._exit(0)
            if request.get("op") == "run":
                sys.stdout.flush()
                sys.stderr.flush()
                child = os.fork()
                if child == 0:
                    reader.close()
                    sock.close()
                    zygote_child(channel, run_info, request, extra_args, me)
                try:
                    os.setpgid(child, child)  # also done by the child itself
                except OSError:
                    pass
                send_line(sock, {"pid": child})
            elif request.get("op") == "reap" and child is not None:
                _, status = os.waitpid(child, 0)
                child = None
                used = resource.getrusage(resource.RUSAGE_CHILDREN)
                send_line(sock, {"status": status,
                                 "children_cpu_us": int((used.ru_utime + used.ru_stime) * 1e6)})
            else:
                send_line(sock, {"error": "unexpected request"})
    except BaseException:  # noqa: B036 -- the worker sees the closed socket
        os._exit(1)


def as_channel(fd):
    """The cold runner's Channel on the zygote's anonymous file."""
    from .. import cold
    channel = cold.Channel.__new__(cold.Channel)
    channel.fd = fd
    return channel


def zygote_child(fd, run_info, request, extra_args, zygote):
    """A child of the zygote: the gremlin on, then the cold runner's child (never returns)."""
    from .. import cold
    try:
        os.setpgid(0, 0)
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        gremlin = request.get("gremlin") or None
        for name in PROTOCOL_VARIABLES:
            os.environ.pop(name, None)
        if gremlin:
            os.environ["ACTIVE_GREMLIN"] = gremlin
        switch = sys.modules.get(SWITCH_MODULE)
        if switch is not None:
            switch.set_active(gremlin)
        tests = request.get("tests") or None
    except BaseException:  # noqa: B036
        os._exit(cold.CHILD_CRASHED)
    cold.child_main(as_channel(fd), run_info, tests, gremlin, extra_args, zygote)


def classify(verdict, running, status, gremlin):
    """(status, killing test, output) of a zygote child, as the runtime classifies the cold
    command with its default settings."""
    from .. import cold
    if verdict is not None:
        code = int(verdict.get("exit_code", cold.CHILD_CRASHED))
        output = verdict.get("output") or ""
        if verdict.get("reason"):
            output = verdict["reason"] + ("\n" + output if output else "")
        if code == 0:
            return "survived", None, ""
        if code in ERROR_CODES:
            return "error", None, "the zygote's pytest session exited with %d\n%s" % (code,
                                                                                      output)
        return "zapped", verdict.get("killing_test"), output
    if os.WIFSIGNALED(status):
        return "zapped", None, death_reason(status) + (" while running " + running
                                                      if running else "")
    if not gremlin:  # the cold runner: "the session did not finish" (3)
        return "error", None, death_reason(status)
    # The cold runner: the process ended before pytest finished, with a gremlin on: zapped.
    return "zapped", running, death_reason(status) + (" while running " + running
                                                     if running else "")


def zombie_or_gone(pid):
    try:
        with open("/proc/%d/stat" % pid) as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except (OSError, IndexError):
        return True


def run_static(worker, zygote, gremlin, tests, timeout_ms, times=None):
    """One static gremlin in a child of the zygote: the ``result`` event."""
    from . import fork_executor
    start = time.monotonic()
    deadline = start + timeout_ms / 1000.0 if timeout_ms else None
    if zygote.broken is not None:
        return result(gremlin, "error", None, 0.0, "static gremlin not run: " + zygote.broken)
    os.ftruncate(zygote.channel, 0)
    os.lseek(zygote.channel, 0, os.SEEK_SET)
    try:
        pid = int(zygote.ask({"op": "run", "gremlin": gremlin, "tests": list(tests)})["pid"])
    except (OSError, ValueError, KeyError, TypeError) as e:
        zygote.broken = "the zygote is gone (%s)" % e
        return result(gremlin, "error", None, 0.0, "static gremlin not run: " + zygote.broken)
    if times is not None:
        times["forked"] = timing.now()
    fork_executor._current_child = pid
    pidfd = open_pidfd(pid)
    status = None
    try:
        worker.channel.send({"event": "started", "gremlin": gremlin, "pid": pid})
        ended = fork_executor.await_exit(worker, pid, deadline, pidfd, ended=zombie_or_gone)
        if times is not None:
            times["verdict"] = timing.now()
    finally:
        if pidfd is not None:
            os.close(pidfd)
        try:
            os.killpg(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            reaped = zygote.ask({"op": "reap"})
            status = int(reaped["status"])
            zygote.children_cpu_us = int(reaped.get("children_cpu_us", 0))
        except (OSError, ValueError, KeyError, TypeError) as e:
            zygote.broken = "the zygote is gone (%s)" % e
        fork_executor._current_child = None
        if times is not None:
            times["reaped"] = timing.now()
    from .. import cold
    verdict, running = cold.read_child(as_channel(zygote.channel))
    ms = (time.monotonic() - start) * 1000.0
    if not ended and verdict is None:
        return result(gremlin, "timeout", None, ms, "timed out after %d ms in %s (a fresh "
                      "import in the zygote)" % (timeout_ms, running or "set-up"))
    if status is None:
        return result(gremlin, "error", None, ms, "static gremlin: " + zygote.broken)
    status_name, killing, output = classify(verdict, running, status, gremlin)
    return result(gremlin, status_name, killing, ms, output)
