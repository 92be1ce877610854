"""A gremlin that breaks the import of a conftest file or the collection (tests/projects/
broken_conftest: conftest.py and tests/unit/conftest.py call brokenpkg.config at import time).

With the gremlin active pytest stops with exit code 4 ("ImportError while loading conftest",
the root conftest) or 2 (a collection error, tests/unit/conftest.py); without it the suite is
clean.  The gremlin broke the suite, so it is ``zapped`` and its killing test is the module
that failed to import: through the real CLI, in the fork, inprocess and cold executors (these
gremlins are static, so every executor runs them cold), the verdicts equal a whole-suite run's.
"""

import pytest

from adapter_support import (EXECUTORS, cli_run, copy_project, differences, killing_tests,
                             read_run_files, statuses, whole_suite_verdicts)

TIME_LIMIT_S = 20


def by_line(manifest, line, description):
    found = [g["id"] for g in manifest["gremlins"] if g["file"] == "brokenpkg/config.py"
             and g["line"] == line and g["description"] == description]
    assert len(found) == 1, (line, description)
    return found[0]


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    base = tmp_path_factory.mktemp("broken")
    return base, copy_project("broken_conftest", base / "broken_conftest"), {}


def run(project, executor):
    base, root, done = project
    if executor not in done:
        proc, data = cli_run(root, executor, base / ("%s.json" % executor), "--timeout",
                             TIME_LIMIT_S)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        done[executor] = data
    return done[executor]


@pytest.fixture(scope="module")
def truth(project):
    base, root, _ = project
    run(project, "subprocess")
    return whole_suite_verdicts(root, base)


@pytest.mark.parametrize("executor", EXECUTORS)
def test_a_gremlin_that_breaks_a_conftest_is_zapped_by_that_module(project, truth, executor):
    data = run(project, executor)
    _, manifest = read_run_files(project[1])
    root_conftest = by_line(manifest, 8, "< to >")           # checked_port(8080) raises
    sub_conftest = by_line(manifest, 15, "!= to ==")          # level_number("debug") raises
    assert truth[root_conftest] == truth[sub_conftest] == "zapped"
    got, killers = statuses(data), killing_tests(data)
    assert got[root_conftest] == "zapped" and killers[root_conftest] == "conftest.py"
    assert got[sub_conftest] == "zapped" and killers[sub_conftest] == "tests/unit/conftest.py"
    assert "error" not in got.values()
    assert differences(data, truth) == {}, "gremlin: (%s run, whole suite)" % executor
