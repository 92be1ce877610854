"""The baseline run: the project's tests over the instrumented code with no gremlin active,
recording which gremlin sites each test reaches and how long each test takes; and the
isolation check, which finds the tests that fail when run alone.

Internal to ``prepare``; run in a fresh interpreter in the project's folder::

    python -m gremlins_pytest.baseline --instrumented-dir I --out COVERAGE.json -- PYTEST_ARGS
    python -m gremlins_pytest.baseline --instrumented-dir I --isolation OUT.json
                                       [--durations COVERAGE.json] -- PYTEST_ARGS

COVERAGE.json: {"exit_code": N, "wall_ms": F, "tests": {nodeid: duration_ms},
"order": [nodeids in the order they ran: collection order], "hits": {nodeid: [gremlin
ids]}, "outside": [ids reached outside any test (imports, collection)]}.

OUT.json (``--isolation``): {"exit_code": N, "tests": count, "runs": forks made, "ms": F,
"alone_fail": {nodeid: [the earlier tests it needs, collection order] or null},
"alone_hits": {nodeid: [gremlin ids]}}.  Every test runs alone in a child forked from the
collected session; for each one that fails alone, the earlier tests (in collection order)
that make it pass are narrowed down to a small set; null when even every earlier test does
not make it pass (then only the whole suite is safe).  Each exits with pytest's code.

``alone_hits`` are the sites each test reaches when it runs alone.  In the whole-suite run a
test that uses a value made earlier (a module- or session-scoped fixture set up by the first
test that asked for it, a memoized function called first by another test) does not reach the
code that made it, yet it sees what a gremlin there changes; run alone, it makes the value
itself.  A gremlin's tests are the tests that reach it in either run.
"""

import argparse
import gc
import json
import os
import select
import shutil
import signal
import sys
import time

import pytest

from .pytest_support import import_switch

#: Forks the isolation check may make to narrow down prerequisites, per failing test and in
#: all; when spent, a failing test needs every earlier test.
PREREQUISITE_RUNS_PER_TEST = 64
PREREQUISITE_RUNS_TOTAL = 512


class Recorder:
    """Stands in for ``_gremlins_switch.active``: every site compares it with its gremlin id,
    so ``==`` notes that id as reached and answers False (the original code runs)."""

    __hash__ = None

    def __init__(self):
        self.outside = set()
        self.current = self.outside

    def __eq__(self, other):
        self.current.add(other)
        return False

    def __ne__(self, other):
        self.current.add(other)
        return True

    def __repr__(self):
        return "<gremlins coverage recorder>"


class Coverage:
    """pytest plugin: one set of reached sites and one duration per test item."""

    def __init__(self, recorder):
        self.recorder = recorder
        self.hits = {}
        self.durations = {}
        self.order = []

    @pytest.hookimpl(hookwrapper=True, tryfirst=True)
    def pytest_runtest_protocol(self, item, nextitem):
        # A hook wrapper: setup, call and teardown (fixtures included) count for this test.
        reached = self.hits.setdefault(item.nodeid, set())
        if item.nodeid not in self.durations:
            self.order.append(item.nodeid)
        self.recorder.current = reached
        start = time.perf_counter()
        try:
            yield
        finally:
            elapsed = (time.perf_counter() - start) * 1000.0
            self.durations[item.nodeid] = self.durations.get(item.nodeid, 0.0) + elapsed
            self.recorder.current = self.recorder.outside


def _wait(pid, limit_s):
    """Wait for a child, at most limit_s; kill its group at the end (leftovers too).
    Returns its exit code, or None when it was killed at the limit."""
    deadline = time.monotonic() + limit_s
    pidfd = None
    try:
        pidfd = os.pidfd_open(pid)
    except (AttributeError, OSError):
        pass
    timed_out = False
    try:
        while True:
            try:
                done = os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
            except ChildProcessError:
                done = True
            if done:
                break
            left = deadline - time.monotonic()
            if left <= 0:
                timed_out = True
                break
            if pidfd is not None:
                select.select([pidfd], [], [], min(left, 1.0))
            else:
                time.sleep(min(left, 0.005))
    finally:
        if pidfd is not None:
            os.close(pidfd)
    try:
        os.killpg(pid, signal.SIGKILL)  # not reaped yet: the group id is still the child's
    except OSError:
        pass
    _, status = os.waitpid(pid, 0)
    if timed_out:
        return None
    return os.WEXITSTATUS(status) if os.WIFEXITED(status) else -1


class IsolationCheck:
    """pytest plugin: takes over the run-test loop.  Runs each test alone, then narrows down
    what the ones that fail alone need (see the module's docstring)."""

    def __init__(self, out, durations, recorder):
        self.out = out
        self.durations = durations
        self.recorder = recorder  # the switch's stand-in: notes the sites a child reaches
        self.hits_dir = out + ".hits"  # a child alone writes the sites it reached here
        self.failed = False  # in a child: a report failed
        self.runs = 0
        self.budget = PREREQUISITE_RUNS_TOTAL

    def pytest_runtest_logreport(self, report):
        if report.failed:
            self.failed = True

    def limit_s(self, items):
        known = sum(self.durations.get(i.nodeid, 1000.0) for i in items)
        return 5.0 + 10.0 * known / 1000.0

    def start(self, session, items, record=False):
        """Fork a child that runs ``items`` in this order (exit code 0: all passed); with
        ``record``, it writes the sites it reached to hits_dir/PID.json."""
        self.runs += 1
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            code = 2
            reached = self.recorder.current = set()
            try:
                os.setpgid(0, 0)
                self.failed = False
                for index, item in enumerate(items):
                    nextitem = items[index + 1] if index + 1 < len(items) else None
                    item.ihook.pytest_runtest_protocol(item=item, nextitem=nextitem)
                    if self.failed or session.shouldfail or session.shouldstop:
                        break
                code = 1 if self.failed else 0
            except BaseException:  # noqa: B036 -- a test that ends the child: it failed
                code = 1
            finally:
                try:
                    if record:
                        self.write_hits(reached)
                    sys.stdout.flush()
                    sys.stderr.flush()
                finally:
                    os._exit(code)
        try:
            os.setpgid(pid, pid)
        except OSError:
            pass
        return pid

    def write_hits(self, reached):
        """In a child: its reached sites, written whole or not at all."""
        path = os.path.join(self.hits_dir, "%d.json" % os.getpid())
        with open(path + ".tmp", "w", encoding="utf-8") as handle:
            json.dump(sorted(reached), handle)
        os.replace(path + ".tmp", path)

    def read_hits(self, pid):
        """The sites child ``pid`` reached, or None when it wrote none (killed at its limit)."""
        path = os.path.join(self.hits_dir, "%d.json" % pid)
        try:
            with open(path, encoding="utf-8") as handle:
                return json.load(handle)
        except (OSError, ValueError):
            return None
        finally:
            for name in (path, path + ".tmp"):
                try:
                    os.remove(name)
                except OSError:
                    pass

    def passes(self, session, items):
        """Whether ``items``, run in this order in a child forked from the collected session,
        all pass."""
        return _wait(self.start(session, items), self.limit_s(items)) == 0

    def fail_alone(self, session, items, jobs, hits):
        """The items that fail when run alone: up to ``jobs`` children at once, then each
        failure checked again on its own (tests run side by side may get in each other's
        way; that is not what is looked for here).  ``hits`` gets each item's reached sites
        alone (nodeid: sorted ids)."""
        queue, running, failed = list(items), {}, []
        while queue or running:
            while queue and len(running) < jobs:
                item = queue.pop(0)
                running[self.start(session, [item], record=True)] = (
                    item, time.monotonic() + self.limit_s([item]))
            try:
                done = os.waitid(os.P_ALL, 0, os.WEXITED | os.WNOHANG | os.WNOWAIT)
            except ChildProcessError:
                done = None
            if done is not None and done.si_pid not in running:
                os.waitpid(done.si_pid, 0)  # not one of ours (it cannot be): reap it
                continue
            now = time.monotonic()
            ended = [done.si_pid] if done is not None else []
            ended += [pid for pid, (_, deadline) in running.items()
                      if deadline <= now and pid not in ended]
            if not ended:
                time.sleep(0.002)
                continue
            for pid in ended:
                item, _ = running.pop(pid)
                if _wait(pid, 0) != 0:
                    failed.append(item)
                reached = self.read_hits(pid)
                if reached is not None:
                    hits[item.nodeid] = sorted(set(hits.get(item.nodeid, ())) | set(reached))
        if jobs > 1:
            failed = [item for item in failed if not self.passes(session, [item])]
        order = {id(item): index for index, item in enumerate(items)}
        return sorted(failed, key=lambda item: order[id(item)])

    def prerequisites(self, session, before, target):
        """The earlier tests ``target`` needs (a small subset of ``before``, in order), or
        None when even all of them do not make it pass."""
        if not self.passes(session, before + [target]):
            return None
        needed = list(before)
        spent = 0
        chunk = max(1, len(needed) // 2)
        while needed:
            index = 0
            while index < len(needed):
                if spent >= PREREQUISITE_RUNS_PER_TEST or self.budget <= 0:
                    return needed
                trial = needed[:index] + needed[index + chunk:]
                spent += 1
                self.budget -= 1
                if self.passes(session, trial + [target]):
                    needed = trial
                else:
                    index += chunk
            if chunk == 1:
                break
            chunk = max(1, chunk // 2)
        return needed

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session):
        if session.testsfailed:
            return None  # collection errors: pytest reports them
        start = time.perf_counter()
        items = list(session.items)
        gc.collect()
        if hasattr(gc, "freeze"):
            gc.freeze()  # children do not copy the collected objects when gc runs
        jobs = max(1, min(4, os.cpu_count() or 1))
        position = {id(item): index for index, item in enumerate(items)}
        alone_fail, alone_hits = {}, {}
        os.makedirs(self.hits_dir, exist_ok=True)
        try:
            failing = self.fail_alone(session, items, jobs, alone_hits)
        finally:
            shutil.rmtree(self.hits_dir, ignore_errors=True)
        for item in failing:
            needs = self.prerequisites(session, items[:position[id(item)]], item)
            alone_fail[item.nodeid] = None if needs is None else [i.nodeid for i in needs]
        data = {"exit_code": 0, "tests": len(items), "runs": self.runs,
                "ms": round((time.perf_counter() - start) * 1000.0, 3),
                "alone_fail": alone_fail, "alone_hits": alone_hits}
        with open(self.out, "w", encoding="utf-8") as handle:
            json.dump(data, handle)
        return True


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m gremlins_pytest.baseline")
    parser.add_argument("--instrumented-dir", required=True)
    parser.add_argument("--out", help="coverage file (the baseline run)")
    parser.add_argument("--isolation", help="isolation check: its result file")
    parser.add_argument("--durations", help="the baseline's coverage file, for time limits")
    parser.add_argument("pytest_args", nargs="*")
    args = parser.parse_args(argv)
    if bool(args.out) == bool(args.isolation):
        parser.error("give one of --out and --isolation")
    os.environ.pop("ACTIVE_GREMLIN", None)
    switch = import_switch(os.path.abspath(args.instrumented_dir))
    if args.isolation:
        durations = {}
        if args.durations:
            with open(args.durations, encoding="utf-8") as handle:
                durations = json.load(handle).get("tests", {})
        recorder = Recorder()
        switch.active = recorder
        try:
            return int(pytest.main(list(args.pytest_args),
                                   plugins=[IsolationCheck(args.isolation, durations, recorder)]))
        finally:
            switch.active = None
    recorder = Recorder()
    switch.active = recorder
    coverage = Coverage(recorder)
    start = time.perf_counter()
    code = int(pytest.main(list(args.pytest_args), plugins=[coverage]))
    wall_ms = (time.perf_counter() - start) * 1000.0
    switch.active = None
    data = {
        "exit_code": code,
        "wall_ms": round(wall_ms, 3),
        "tests": {k: round(v, 3) for k, v in coverage.durations.items()},
        "order": list(coverage.order),
        "hits": {k: sorted(v) for k, v in coverage.hits.items()},
        "outside": sorted(recorder.outside),
    }
    with open(args.out, "w", encoding="utf-8") as handle:
        json.dump(data, handle)
    return code


if __name__ == "__main__":
    sys.exit(main())
