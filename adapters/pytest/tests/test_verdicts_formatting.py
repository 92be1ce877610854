"""Failures are formatted the cheap way in every executor (tests/projects/deep_recursion, its
module grown by grow_table to a realistic size).

The ``n - 1`` to ``n + 1`` gremlin makes countdown() recurse until RecursionError.  With
``--tb=short`` (the cold executor's old setting) pytest re-reads the statement of each of the
thousand frames, walking the module's syntax tree every time: seconds to tens of seconds, so
the cold run hit its time limit (``timeout``) where the warm worker (``--tb=line``) zapped the
gremlin at once.  Now the cold executor uses ``--tb=line`` too: under a 5 s limit, in the fork,
inprocess and cold executors, the gremlin is zapped by test_countdown, like a whole-suite run.
"""

import pytest

from adapter_support import (EXECUTORS, cli_run, copy_project, differences, killing_tests,
                             read_run_files, statuses, whole_suite_verdicts)

TIME_LIMIT_S = 5
TABLE_ROWS = 1500


def grow_table(module, rows):
    """Append ``rows`` entries to the TABLE literal at the end of recpkg/count.py.  Each row
    says ``# pragma: no mutate``: the table is there to make the file big, not to be mutated
    (its constants would be some 4,500 static gremlins that every test covers)."""
    text = module.read_text()
    assert text.rstrip().endswith("}")
    body = "".join('    "k%04d": (%d, "v%04d", [%d, %d]),  # pragma: no mutate\n'
                   % (i, i, i, i, i) for i in range(2, rows))
    module.write_text(text.rstrip()[:-1] + body + "}\n")


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    base = tmp_path_factory.mktemp("recursion")
    root = copy_project("deep_recursion", base / "deep_recursion")
    grow_table(root / "recpkg" / "count.py", TABLE_ROWS)
    return base, root, {}


def run(project, executor):
    base, root, done = project
    if executor not in done:
        proc, data = cli_run(root, executor, base / ("%s.json" % executor), "--timeout",
                             TIME_LIMIT_S)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        done[executor] = data
    return done[executor]


@pytest.mark.parametrize("executor", EXECUTORS)
def test_a_runaway_recursion_is_zapped_quickly(project, executor):
    data = run(project, executor)
    _, manifest = read_run_files(project[1])
    source = (project[1] / "recpkg" / "count.py").read_text().splitlines()
    line = next(n for n, text in enumerate(source, 1) if "countdown(n - 1)" in text)
    runaway = [g["id"] for g in manifest["gremlins"] if g["line"] == line
               and g["description"] == "- to +"]
    assert len(runaway) == 1
    gremlin = runaway[0]
    assert statuses(data)[gremlin] == "zapped", data["results"]
    assert killing_tests(data)[gremlin] == "tests/test_count.py::test_countdown"
    timing = {r["gremlin_id"]: r["execution_time_ms"] for r in data["results"]}
    assert timing[gremlin] < TIME_LIMIT_S * 1000


def test_verdicts_equal_a_whole_suite_run(project):
    base, root, _ = project
    data = run(project, "subprocess")
    truth = whole_suite_verdicts(root, base)
    assert differences(data, truth) == {}
    for executor in EXECUTORS:
        assert statuses(run(project, executor)) == statuses(data), executor
