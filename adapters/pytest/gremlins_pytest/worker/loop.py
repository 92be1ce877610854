"""The worker's pytest plugin, its command loop and ``main``.

pytest runs once, in-process, and collects once; WarmWorker then takes over
``pytest_runtestloop``: ``ready`` (or, when collection failed, the one ``error`` event and
pytest's exit code), then one request at a time until ``shutdown`` or end of file on the
request descriptor (exit code 0).  A run request gets exactly one ``result``, in request
order; a line that is not a known request gets no answer and is logged.  Unusable options or
run.json: an ``error`` event and exit code 2 (only the reason on stderr when the protocol
descriptors themselves are unusable).  ``ACTIVE_GREMLIN`` is removed from the environment: a
warm worker starts with no gremlin active.
"""

from __future__ import annotations

import gc
import importlib
import json
import os
import signal
import sys

import pytest

from ..errors import UsageError
from ..protocol import CAPABILITIES, OUTPUT_LIMIT, PROTOCOL_VERSION
from ..switch import MODULE_NAME as SWITCH_MODULE
from . import fork_executor, timing
from .channel import Channel, protocol_fds
from .fork_executor import run_forked
from .fork_safety import offered_executors
from .imports import put_instrumented_first
from .inprocess_executor import run_inprocess
from .log import log
from .running import result
from .settings import parse_args, resolve_settings
from .zygote import run_static
from . import zygote as zygotes


def check_run(request, items_by_id, all_items, switch, static_ids, offered=CAPABILITIES,
              zygote=None):
    """(gremlin, items, timeout_ms, executor) for a well-formed run, else a reason string.
    ``offered``: the executors this worker offered in ``ready`` (the first is the default).
    A static gremlin gets the executor ``"zygote"`` (and its tests' ids instead of items)
    when the worker has a zygote."""
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
    executor = request.get("executor") or offered[0]
    if executor not in CAPABILITIES:
        return "field 'executor' must be one of %s, got %r" % (", ".join(CAPABILITIES), executor)
    if executor not in offered:
        return ("executor %r was not offered by this worker (it offered %s): forking it is "
                "unsafe" % (executor, ", ".join(offered)))
    unknown = [t for t in tests if t not in items_by_id]
    if unknown:
        return "unknown test id(s), not among the %d collected: %s" % (
            len(items_by_id), ", ".join(unknown[:5]) + (" ..." if len(unknown) > 5 else ""))
    if gremlin in static_ids:
        if zygote is not None:
            return gremlin, list(tests), timeout_ms, "zygote"
        return ("gremlin %s is static (its code runs at import time): it needs a cold run in a "
                "fresh process, not a warm worker" % gremlin)
    if gremlin and switch is None:
        return "no %s module is importable: is the instrumented dir set?" % SWITCH_MODULE
    items = [items_by_id[t] for t in tests] if tests else all_items
    return gremlin, items, timeout_ms, executor


class WarmWorker:
    """The pytest plugin: records collection errors, then takes over the run-test loop."""

    def __init__(self, channel, static_ids=frozenset(), zygote=None):
        self.channel = channel
        self.static_ids = static_ids
        self.zygote = zygote
        self.pid = os.getpid()
        self.session = None
        self.switch = None
        self.collect_errors = []
        self.ready_sent = False
        self.offered = list(CAPABILITIES)

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
        self.offered, hazard = offered_executors()
        if hazard is not None:
            log("not offering fork: %s; a forked child would lack them and could hang on "
                "their locks: runs go in-process (an explicit --executor fork makes the "
                "runtime fall back to cold runs)" % hazard)
        gc.freeze()  # forked children then do not copy the collected objects when gc runs
        self.channel.send({"event": "ready", "protocol": PROTOCOL_VERSION, "pid": self.pid,
                           "capabilities": self.offered, "tests": len(items)})
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
                if not timing.enabled:
                    self.channel.send(self.answer(request, items, by_id))
                    continue
                times = {"request": timing.now()}
                event = self.answer(request, items, by_id, times)
                self.channel.send(event)
                times["sent"] = timing.now()
                zygote_cpu = self.zygote.children_cpu_us if self.zygote is not None else 0
                timing.record({"gremlin": event.get("gremlin"), "status": event["status"],
                               "executor": times.pop("executor", None), "pid": self.pid,
                               "tests": len(request.get("tests") or ()), "t": times,
                               "cpu_us": timing.cpu_us(zygote_cpu)})
        except BrokenPipeError:  # the runtime is gone: any child was reaped on the way out
            log("reply descriptor closed: exiting")

    def answer(self, request, items, by_id, times=None):
        checked = check_run(request, by_id, items, self.switch, self.static_ids, self.offered,
                            self.zygote)
        if isinstance(checked, str):
            gremlin = request.get("gremlin")
            echo = gremlin if isinstance(gremlin, str) else None
            return result(echo, "error", None, 0.0, checked)
        gremlin, run_items_, timeout_ms, executor = checked
        if times is not None:
            times["executor"] = executor
        if executor == "zygote":
            return run_static(self, self.zygote, gremlin, run_items_, timeout_ms, times)
        if executor == "inprocess":
            return run_inprocess(self, gremlin, run_items_, timeout_ms, times)
        return run_forked(self, gremlin, run_items_, timeout_ms, times)


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


def on_sigterm(signum, frame):
    fork_executor.kill_current_child()
    os._exit(128 + signum)


def start(argv):
    """Settings, descriptors and imports set up: (channel, settings)."""
    try:
        args, bad_args = parse_args(argv), None  # first, so that --help needs no descriptors
    except UsageError as e:
        args, bad_args = None, e
    request_fd, reply_fd = protocol_fds()
    channel = Channel(request_fd, reply_fd)
    try:
        if bad_args is not None:
            raise bad_args
        settings = resolve_settings(args)
    except UsageError as e:
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
    except UsageError as e:
        log(str(e))
        return 2
    zygote = zygotes.start(settings, (channel.request_fd, channel.reply_fd))
    signal.signal(signal.SIGTERM, on_sigterm)
    worker = WarmWorker(channel, settings.static_ids, zygote)
    code = pytest.main(settings.pytest_args, plugins=[worker])
    if worker.ready_sent:
        return 0
    if not worker.collect_errors and worker.session is None:  # pytest stopped before collecting
        fail_start(channel, "collection failed: pytest exited with code %s before collecting "
                   "(bad arguments or a broken conftest: see stderr/stdout)" % int(code))
    return int(code) or 1
