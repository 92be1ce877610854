"""The baseline run: the project's tests over the instrumented code with no gremlin active,
recording which gremlin sites each test reaches and how long each test takes.

Internal to ``prepare``; run in a fresh interpreter in the project's folder::

    python -m gremlins_pytest.baseline --instrumented-dir I --out COVERAGE.json -- PYTEST_ARGS

COVERAGE.json: {"exit_code": N, "wall_ms": F, "tests": {nodeid: duration_ms},
"hits": {nodeid: [gremlin ids]}, "outside": [ids reached outside any test (imports,
collection)]}.  Exits with pytest's code.
"""

import argparse
import json
import os
import sys
import time

import pytest

from .pytest_support import import_switch


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

    @pytest.hookimpl(hookwrapper=True, tryfirst=True)
    def pytest_runtest_protocol(self, item, nextitem):
        # A hook wrapper: setup, call and teardown (fixtures included) count for this test.
        reached = self.hits.setdefault(item.nodeid, set())
        self.recorder.current = reached
        start = time.perf_counter()
        try:
            yield
        finally:
            elapsed = (time.perf_counter() - start) * 1000.0
            self.durations[item.nodeid] = self.durations.get(item.nodeid, 0.0) + elapsed
            self.recorder.current = self.recorder.outside


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m gremlins_pytest.baseline")
    parser.add_argument("--instrumented-dir", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("pytest_args", nargs="*")
    args = parser.parse_args(argv)
    os.environ.pop("ACTIVE_GREMLIN", None)
    switch = import_switch(os.path.abspath(args.instrumented_dir))
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
        "hits": {k: sorted(v) for k, v in coverage.hits.items()},
        "outside": sorted(recorder.outside),
    }
    with open(args.out, "w", encoding="utf-8") as handle:
        json.dump(data, handle)
    return code


if __name__ == "__main__":
    sys.exit(main())
