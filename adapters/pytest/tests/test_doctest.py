"""Projects that use ``--doctest-modules`` run, and their doctests cover and zap gremlins.

pytest imports every module it collects by name and checks that the module it got comes from
the file it collected.  The instrumented copy served under that name has another ``__file__``,
so every instrumented module but a package's ``__init__`` failed collection
(ImportPathMismatchError: exit 4, nothing ran).  The generated switch module now makes that
check (``_pytest.pathlib._is_same``) accept the instrumented copy of exactly the file collected;
the instrumenter keeps line numbers, so the doctests' lines are right too.

projects/doctests: a package module and a top-level module with doctests, ``--doctest-modules``
from ``addopts``; a second copy without it gets the option from PYTEST_ADDOPTS, the way a
command line does.  The verdicts are those of a whole-suite cold run (test_fork_safety.py).
"""

import pytest

from test_fork_safety import ProjectRuns, copy_project, verdicts

WITHOUT_ADDOPTS = "[pytest]\ntestpaths = src tests\npythonpath = src\n"


@pytest.fixture(scope="module", params=["addopts", "command-line"])
def doctests(request, tmp_path_factory):
    base = tmp_path_factory.mktemp("doctests-" + request.param)
    if request.param == "addopts":
        return ProjectRuns(copy_project("doctests", base), base)
    root = copy_project("doctests", base, pytest_ini=WITHOUT_ADDOPTS)
    return ProjectRuns(root, base, env={"PYTEST_ADDOPTS": "--doctest-modules"})


@pytest.mark.parametrize("executor", ["fork", "inprocess", "subprocess"])
def test_doctest_verdicts_equal_the_whole_suite_cold_run(doctests, executor):
    _, data = doctests.cli(executor)
    assert data["pool"]["executor"] == executor
    expected = doctests.expected()
    assert {"zapped", "survived"} <= set(expected.values()), expected
    assert verdicts(data) == expected
    assert data["summary"]["error"] == 0


def test_doctests_are_tests_of_the_manifest_and_kill_gremlins(doctests):
    manifest = doctests.manifest()
    assert {"src/dt/mathx.py::dt.mathx", "src/dt/mathx.py::dt.mathx.mean",
            "src/dt/mathx.py::dt.mathx.clamp", "src/single.py::single.double",
            "src/dt/__init__.py::dt"} <= set(manifest["tests"])
    by_id = {g["id"]: g for g in manifest["gremlins"]}
    double = [g for g in by_id.values() if g["file"] == "src/single.py"]
    assert double and all(g["tests"] == ["src/single.py::single.double"] for g in double)
    _, data = doctests.cli("fork")
    killers = {r["killing_test"] for r in data["results"] if r["status"] == "zapped"}
    assert "src/single.py::single.double" in killers
    assert any(k.startswith("src/dt/mathx.py::") for k in killers), killers
