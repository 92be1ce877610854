"""The inprocess executor: the gremlin is switched on inside the worker itself and off again
afterwards, fixtures torn down.  Faster than fork, but module state changed by one gremlin's
tests can leak into the next gremlin's.  ``timeout_ms`` is a one-shot SIGALRM that raises
GremlinTimeout in the running test: status ``timeout``, the worker stays warm (a test that
swallows the exception keeps running, and the runtime's own limit applies; a test that sets
its own SIGALRM handler conflicts with it).
"""

import signal
import time
import traceback

from . import running, timing
from .running import result, run_items, teardown_all


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


def run_inprocess(worker, gremlin, items, timeout_ms, times=None):
    """One gremlin inside the worker: the ``result`` event.  ``times``: the phase timestamps
    (timing.py) to fill in, or None."""
    start = time.monotonic()
    current = [-1]
    alarm = Alarm(timeout_ms)
    try:
        worker.switch_on(gremlin)
        if times is not None:
            times["setup"] = timing.now()
        with alarm:
            status, killing, output = run_items(worker.session, items,
                                                lambda i: current.__setitem__(0, i))
        if times is not None:
            times["tests_done"] = timing.now()
            times["tests_s"] = running.last_tests_s
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
