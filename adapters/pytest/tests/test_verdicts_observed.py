"""Who can observe a gremlin (tests/projects/observed_defaults), through the real CLI.

A static gremlin in a default argument runs only the tests that call its function, when no
file of the project introspects functions and the function is not handed around; one in a
module constant only the tests that call a function reading it or read it as an attribute,
when nothing reads attributes by computed names (gremlins_pytest/observers.py); a gremlin in
code that made a value another test uses later (a module-scoped fixture, a memo) runs the
later test too (the isolation check's hits, see gremlins_pytest/baseline.py).  Each executor's verdicts equal a whole-suite run's, also for
the gremlins narrowed down to no test at all (then the whole suite must let them survive).
"""

import pytest

from adapter_support import (EXECUTORS, cli_run, copy_project, differences, killing_tests,
                             read_run_files, statuses, whole_suite_verdict, whole_suite_verdicts)


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    base = tmp_path_factory.mktemp("observed")
    root = copy_project("observed_defaults", base / "observed_defaults")
    return base, root, {}


def run(project, executor):
    base, root, done = project
    if executor not in done:
        proc, data = cli_run(root, executor, base / ("%s.json" % executor))
        assert proc.returncode == 0, proc.stdout + proc.stderr
        done[executor] = (data, proc.stderr)
    return done[executor][0]


def gremlin(manifest, file, line, description):
    found = [g for g in manifest["gremlins"] if g["file"] == "obs/" + file and g["line"] == line
             and g["description"] == description]
    assert len(found) == 1, (file, line, description)
    return found[0]


def names(g):
    return sorted(t.split("::")[-1] for t in g["tests"])


def test_a_default_argument_runs_only_the_tests_that_call_its_function(project):
    run(project, "fork")
    _, manifest = read_run_files(project[1])
    every = len(manifest["tests"])
    greeting = gremlin(manifest, "text.py", 4, 'default "hello" to \'XXhelloXX\'')
    assert greeting["static"] and names(greeting) == ["test_greet", "test_greet_explicit"]
    width = gremlin(manifest, "text.py", 16, "default 12 to 13")  # a method of a plain class
    assert width["static"] and names(width) == ["test_banner"]
    flag = gremlin(manifest, "text.py", 8, "True to False")  # nobody calls unused()
    assert flag["static"] and flag["tests"] == []
    # Seen without a call: handed to pydoc, called at import time, a library base class.
    for file, line, description in (("wiring.py", 7, "default 2 to 3"),
                                    ("wiring.py", 15, "default 3 to 4"),
                                    ("wiring.py", 24, "default 5 to 6")):
        assert len(gremlin(manifest, file, line, description)["tests"]) == every, (file, line)
    assert ("10 static gremlins in default arguments and module constants: only the tests "
            "that can observe them") in project[2]["fork"][1]
    assert not any("observed_by" in g for g in manifest["gremlins"])


def test_a_module_constant_runs_only_the_tests_that_read_it(project):
    run(project, "fork")
    _, manifest = read_run_files(project[1])
    every = len(manifest["tests"])
    retries = gremlin(manifest, "limits.py", 3, "3 to 4")  # read by attempts()
    assert retries["static"] and names(retries) == ["test_attempts"]
    for description in ("+ to -", "10 to 11", "5 to 6"):  # test_timeout reads limits.TIMEOUT
        assert names(gremlin(manifest, "limits.py", 4, description)) == ["test_timeout"]
    assert gremlin(manifest, "limits.py", 7, "4 to 5")["tests"] == []  # QUIET: read by nobody
    # WIDTH read at module level, PADDED not a literal, EXPORTED imported by name, HELPED read
    # by a helper: the whole suite.
    for line, description in ((5, "8 to 9"), (6, "2 to 3"), (8, "6 to 7"), (9, "7 to 8")):
        assert len(gremlin(manifest, "limits.py", line, description)["tests"]) == every, line


def test_a_value_made_once_is_tested_by_every_test_that_uses_it(project):
    data = run(project, "fork")
    _, manifest = read_run_files(project[1])
    retries = gremlin(manifest, "settings.py", 7, "3 to 4")  # made by a module-scoped fixture
    assert names(retries) == ["test_name", "test_retries"]
    assert statuses(data)[retries["id"]] == "zapped"
    assert killing_tests(data)[retries["id"]] == "tests/test_settings.py::test_retries"
    squares = gremlin(manifest, "settings.py", 12, "* to /")  # memoized
    assert names(squares) == ["test_squares_exist", "test_squares_values"]
    assert statuses(data)[squares["id"]] == "zapped"


@pytest.mark.parametrize("executor", EXECUTORS)
def test_verdicts_equal_a_whole_suite_run(project, executor):
    base, root, _ = project
    data = run(project, executor)
    truth = whole_suite_verdicts(root, base)
    assert differences(data, truth) == {}
    run_json, manifest = read_run_files(root)
    uncovered = [g["id"] for g in manifest["gremlins"] if g["static"] and not g["tests"]]
    assert uncovered  # unused()'s default: no test calls it
    for gid in uncovered:
        assert whole_suite_verdict(run_json, gid, len(manifest["tests"]), base) == "survived"
        assert statuses(data)[gid] == "no_coverage"


def run_with_test(tmp_path, name, text):
    """A fork run on a copy of the project with one more test file: (process, results,
    manifest)."""
    root = copy_project("observed_defaults", tmp_path / "observed_defaults")
    (root / "tests" / name).write_text(text)
    proc, data = cli_run(root, "fork", tmp_path / "fork.json")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc, data, read_run_files(root)[1]


def test_introspection_anywhere_in_the_project_keeps_the_whole_suite(tmp_path):
    """inspect.signature in a test: default arguments run the whole suite."""
    proc, data, manifest = run_with_test(
        tmp_path, "test_signature.py",
        "import inspect\n\nfrom obs.text import greet\n\n\n"
        "def test_signature():\n    assert inspect.signature(greet).parameters['greeting']"
        ".default == 'hello'\n")
    assert "the project reads functions' signatures (tests/test_signature.py:" in proc.stderr
    greeting = gremlin(manifest, "text.py", 4, 'default "hello" to \'XXhelloXX\'')
    assert len(greeting["tests"]) == len(manifest["tests"])
    retries = gremlin(manifest, "limits.py", 3, "3 to 4")  # a module constant: still narrowed
    assert names(retries) == ["test_attempts"]
    assert statuses(data)[greeting["id"]] == "zapped"
    assert killing_tests(data)[greeting["id"]] in ("tests/test_signature.py::test_signature",
                                                   "tests/test_text.py::test_greet")


def test_attributes_read_by_computed_names_keep_the_whole_suite(tmp_path):
    """getattr with a computed name in a test: module constants run the whole suite."""
    proc, data, manifest = run_with_test(
        tmp_path, "test_computed.py",
        "from obs import limits\n\n\n"
        "def test_computed():\n    name = 'TIME' + 'OUT'\n"
        "    assert getattr(limits, name) == 15\n")
    assert ("the project reads attributes by computed names (tests/test_computed.py:6: getattr)"
            in proc.stderr)
    timeout = gremlin(manifest, "limits.py", 4, "10 to 11")
    assert len(timeout["tests"]) == len(manifest["tests"])
    assert statuses(data)[timeout["id"]] == "zapped"
    assert killing_tests(data)[timeout["id"]] in ("tests/test_computed.py::test_computed",
                                                  "tests/test_limits.py::test_timeout")
    greeting = gremlin(manifest, "text.py", 4, 'default "hello" to \'XXhelloXX\'')
    assert names(greeting) == ["test_greet", "test_greet_explicit"]  # defaults: still narrowed
