"""Whether the warm worker may fork.

A forked child has only the thread that forked it.  Any other thread of the worker (a thread
that a conftest, a plugin or an imported module started: a service loop, a pool, a watchdog)
is missing in the child: a lock it held at the fork stays locked forever, and whatever it
serves never answers, so the child hangs until its time limit and every gremlin would come out
``timeout`` (which the score counts as detected).  The worker looks once, when it is warm (the
only time it runs project code before forking: the fork executor runs no test in the worker
itself), and offers only ``inprocess`` when another thread is alive.  Running in-process keeps
those threads, as a cold run has them: the tests see the same process they see under plain
pytest.
"""

import threading

from ..protocol import CAPABILITIES


def fork_hazard():
    """Why forking now is unsafe (a one-line reason), or None."""
    main = threading.main_thread()
    others = [t for t in threading.enumerate() if t is not main and t.is_alive()]
    if not others:
        return None
    names = ", ".join(repr(t.name) for t in others[:5]) + (" ..." if len(others) > 5 else "")
    return "%d thread(s) besides the main one alive after collection (%s)" % (len(others), names)


def offered_executors():
    """(the executors to offer in ``ready``, why fork is left out or None)."""
    hazard = fork_hazard()
    if hazard is None:
        return list(CAPABILITIES), None
    return [e for e in CAPABILITIES if e != "fork"], hazard
