"""Per-gremlin phase timestamps, for the benches (bench/fork_overhead.sh), only when asked.

With ``GREMLIN_WORKER_TIMING=FILE`` in its environment the worker appends one JSON line per
answered run request to FILE (opened once, ``O_APPEND``, so the workers of a run can share
it): the gremlin, the executor, ``CLOCK_MONOTONIC`` timestamps in nanoseconds of each phase
and the tests' own time (the sum of their reports' durations).  Without the variable nothing
is measured beyond one ``None`` check per phase.

Phases of a fork run (the keys): ``request`` (the request line was read), ``fork`` (before
``os.fork``), ``forked`` (the parent is back from it), ``child`` (the child's first line),
``setup`` (the child is in its own group, the parent-death signal armed, the gremlin on),
``tests_done`` (the last test's report is in), ``verdict_sent`` (the child wrote its
verdict), ``verdict`` (the parent read it), ``reaped`` (the child's group killed and its
status collected), ``sent`` (the ``result`` line written).  In-process runs have ``request``,
``setup``, ``tests_done`` and ``sent``; zygote runs (static gremlins) ``request``, ``forked``
(the zygote named the child), ``verdict``, ``reaped`` and ``sent``.  Each line also has
``cpu_us``: the CPU time so far of the worker, of the children it reaped and of the zygote's
reaped children.
"""

import json
import os
import resource
import time

_PATH = os.environ.get("GREMLIN_WORKER_TIMING") or None
_fd = None

#: Whether phases are measured at all (the variable is read once, at import).
enabled = _PATH is not None


def now():
    """A CLOCK_MONOTONIC timestamp in ns (the same clock in the worker and its children)."""
    return time.monotonic_ns()


def cpu_us(extra=0):
    """CPU time (user + system) of this process and of the children it reaped, in µs (the
    benches take differences between consecutive lines of one worker)."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return int((me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime) * 1e6) + extra


def record(entry):
    """Append one line to the timing file; failures are ignored (a bench aid only)."""
    global _fd
    if not enabled:
        return
    try:
        if _fd is None:
            _fd = os.open(_PATH, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o644)
        os.write(_fd, (json.dumps(entry, separators=(",", ":")) + "\n").encode("utf-8"))
    except OSError:
        pass


def forget_file():
    """In a forked child: the parent's descriptor is not ours to write to."""
    global _fd
    _fd = None
