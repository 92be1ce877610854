"""Running the tests of one gremlin inside the collected session, stopping at the first failed
report, and the ``result`` event that reports it."""

import os

from _pytest.runner import runtestprotocol

from ..protocol import OUTPUT_LIMIT
from .log import log

try:
    from _pytest.warnings import catch_warnings_for_item
except ImportError:  # a pytest without it: the ini's warning filters do not apply to runs
    catch_warnings_for_item = None


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


#: The tests' own time (the sum of their reports' durations, in s) of the last run_items in
#: this process: what a bench subtracts from a gremlin's wall time to get the overhead.
last_tests_s = 0.0


def run_items(session, items, on_test):
    """Run items in order, stopping at the first failed report: (status, killing_test, output)."""
    global last_tests_s
    last_tests_s = 0.0
    for i, item in enumerate(items):
        on_test(i)
        nextitem = items[i + 1] if i + 1 < len(items) else None
        reports = run_one(item, nextitem)
        failed = None
        for r in reports:
            last_tests_s += r.duration
            if failed is None and r.failed:
                failed = r
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
