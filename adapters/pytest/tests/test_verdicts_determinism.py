"""The same tree gives the same results (tests/projects/noisy_durations: eight tests catch the
same gremlins, each sleeping a random 0-3 ms).

Covering tests used to be ordered fastest first by one noisy baseline sample, so the order,
and with it the killing test (the first failing test in that order), changed from run to run.
Durations are now bucketed (0-30 ms, 30-300 ms, ...), ties broken by collection order: every
run, in the fork, inprocess and cold executors, writes the same test lists and names the same
killing tests, and the verdicts are a whole-suite run's.
"""

import json
import os
import shutil
import subprocess
import sys

import pytest

from adapter_support import (ADAPTER_DIR, cli_run, copy_project, differences, killing_tests,
                             statuses, whole_suite_verdicts)

TIME_LIMIT_S = 20
RUNS = ("fork", "fork", "inprocess", "subprocess", "subprocess")


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    base = tmp_path_factory.mktemp("noisy")
    project = copy_project("noisy_durations", base / "noisy_durations")
    done = []
    for index, executor in enumerate(RUNS):
        proc, data = cli_run(project, executor, base / ("run-%d.json" % index), "--timeout",
                             TIME_LIMIT_S)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        manifest = base / ("manifest-%d.json" % index)
        shutil.copy(project / ".gremlins" / "manifest.json", manifest)
        done.append((executor, data, json.loads(manifest.read_text())))
    return base, project, done


def test_every_run_orders_the_tests_the_same_way(runs):
    _, _, done = runs
    lists = [{g["id"]: g["tests"] for g in manifest["gremlins"]} for _, _, manifest in done]
    assert len(lists[0]) >= 8 and max(len(t) for t in lists[0].values()) == 8
    for other in lists[1:]:
        assert other == lists[0]


def test_every_run_names_the_same_killing_tests(runs):
    base, project, done = runs
    first = killing_tests(done[0][1])
    assert len(set(k for k in first.values() if k)) >= 2  # not every gremlin dies in one test
    for executor, data, _ in done[1:]:
        assert killing_tests(data) == first, executor
    truth = whole_suite_verdicts(project, base)
    for executor, data, _ in done:
        assert differences(data, truth) == {}, executor
        assert set(statuses(data).values()) <= {"zapped", "survived"}


ORDERING_CHECK = """
from gremlins_pytest.prepare import duration_bucket, order_tests
assert [duration_bucket(ms) for ms in (0, 29.9, 30, 299, 300, 2999, 3000, 40000)] == [
    0, 0, 1, 1, 2, 2, 3, 4]
durations = {"a": 3.1, "b": 2.9, "c": 250.0, "d": 0.4}
position = {"c": 0, "b": 1, "a": 2, "d": 3}
assert order_tests(durations, durations, position) == ["b", "a", "d", "c"]
noisier = {"a": 1.0, "b": 8.0, "c": 310.0, "d": 5.5}
assert order_tests(noisier, noisier, position) == ["b", "a", "d", "c"]
"""


def test_buckets_are_decades_and_ties_keep_collection_order():
    # In a fresh interpreter with this adapter first: the test process may have imported
    # another copy of gremlins_pytest (an installed pytest11 entry point).
    env = dict(os.environ, PYTHONPATH=str(ADAPTER_DIR))
    proc = subprocess.run([sys.executable, "-c", ORDERING_CHECK], env=env,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
