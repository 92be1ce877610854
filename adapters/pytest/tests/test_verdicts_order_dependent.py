"""Order-dependent tests (tests/projects/order_dependent): tests/test_b_use.py's test_count
and test_describe rely on the registry state that tests/test_a_setup.py::test_register leaves
behind, so each fails when run alone.

Running only a gremlin's covering tests gave false verdicts: the ``+`` to ``-`` gremlin in
register() (the count becomes -1) is covered by test_register alone, which does not look at
the count, so it survived, while a whole-suite run zaps it (test_count fails); describe()'s
gremlins are covered by test_describe alone, which then fails for want of the state: zapped,
while the whole suite lets them survive.  The baseline now finds the tests that fail alone and
what they need; the gremlins they touch run with those tests, in collection order, so every
executor gives the whole suite's verdicts, and the console names the order-dependent tests.
"""

import pytest

from adapter_support import (EXECUTORS, cli_run, copy_project, differences, read_run_files,
                             statuses, whole_suite_verdicts)

TIME_LIMIT_S = 20
COUNT = "tests/test_b_use.py::test_count"
DESCRIBE = "tests/test_b_use.py::test_describe"
REGISTER = "tests/test_a_setup.py::test_register"


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    base = tmp_path_factory.mktemp("order")
    return base, copy_project("order_dependent", base / "order_dependent"), {}


def run(project, executor):
    base, root, done = project
    if executor not in done:
        proc, data = cli_run(root, executor, base / ("%s.json" % executor), "--timeout",
                             TIME_LIMIT_S)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        done[executor] = (proc, data)
    return done[executor]


@pytest.fixture(scope="module")
def truth(project):
    base, root, _ = project
    run(project, "fork")
    return whole_suite_verdicts(root, base)


@pytest.mark.parametrize("executor", EXECUTORS)
def test_verdicts_equal_a_whole_suite_run(project, truth, executor):
    _, data = run(project, executor)
    _, manifest = read_run_files(project[1])
    by_line = {(g["line"], g["description"]): g["id"] for g in manifest["gremlins"]}
    assert truth[by_line[(14, "+ to -")]] == "zapped"      # register(): count -1
    assert truth[by_line[(27, "> to >=")]] == "survived"   # describe(): width 0 never pads
    assert "error" not in statuses(data).values()
    assert differences(data, truth) == {}, "gremlin: (%s run, whole suite)" % executor


def test_the_console_names_the_order_dependent_tests(project):
    proc, _ = run(project, "fork")
    lines = [l for l in proc.stderr.splitlines() if "order-dependent tests" in l]
    assert len(lines) == 1, proc.stderr
    assert "%s (needs %s)" % (COUNT, REGISTER) in lines[0]
    assert "%s (needs %s)" % (DESCRIBE, REGISTER) in lines[0]
    run_json, manifest = read_run_files(project[1])
    assert run_json["order_dependent"] == {COUNT: [REGISTER], DESCRIBE: [REGISTER]}
    # Independent tests keep their own, short, lists.
    doubled = [g for g in manifest["gremlins"] if g["line"] == 33]
    assert doubled and all(g["tests"] == ["tests/test_a_setup.py::test_double",
                                          "tests/test_b_use.py::test_double_again"]
                           for g in doubled), doubled
    # A gremlin reached by the test an order-dependent one needs runs with it, in order.
    register = [g for g in manifest["gremlins"] if g["line"] == 14][0]
    assert register["tests"] == [REGISTER, COUNT, DESCRIBE]
