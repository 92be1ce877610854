"""Coverage plugins in the project's own configuration (tests/projects/cov_addopts has
``addopts = --strict-markers --cov=covpkg --cov-report=term-missing --cov-branch``, as many
projects do, and a test that uses pytest-cov's ``no_cover`` marker and fixtures).

Mutation runs must not measure coverage: pytest-cov would start in the warm worker and again in
every forked child, and parallel cold runs would share the project's .coverage file (sqlite
"no such table" errors, exit 3, so ``error``).  Through the real CLI, in the fork, inprocess and
cold executors: every covered gremlin gets the verdict a whole-suite run gives, none ends in
error or timeout, and no coverage data file appears in the project, not even when the caller's
environment asks every Python process to measure coverage (COVERAGE_PROCESS_START with a
sitecustomize that calls coverage.process_startup()).
"""

import pytest

from adapter_support import (EXECUTORS, clean_env, cli_run, copy_project, differences,
                             read_run_files, statuses, whole_suite_verdicts)

TIME_LIMIT_S = 20  # per gremlin; generous: the machine may be shared


def coverage_files(project):
    return sorted(str(p.relative_to(project)) for p in project.rglob(".coverage*")
                  if p.name != ".coveragerc")


class Runs:
    def __init__(self, base):
        self.base = base
        self.project = copy_project("cov_addopts", base / "cov_addopts")
        self.runs = {}
        self.truth = None

    def run(self, executor):
        if executor not in self.runs:
            proc, data = cli_run(self.project, executor, self.base / ("%s.json" % executor),
                                 "--timeout", TIME_LIMIT_S)
            assert proc.returncode == 0, proc.stdout + proc.stderr
            self.runs[executor] = (proc, data)
        return self.runs[executor]

    def whole_suite(self):
        if self.truth is None:
            self.run("fork")
            self.truth = whole_suite_verdicts(self.project, self.base)
        return self.truth


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    return Runs(tmp_path_factory.mktemp("cov"))


@pytest.mark.parametrize("executor", EXECUTORS)
def test_verdicts_equal_a_whole_suite_run(runs, executor):
    _, data = runs.run(executor)
    assert coverage_files(runs.project) == [], "a mutation run wrote coverage data"
    got = statuses(data)
    assert not [g for g, s in got.items() if s in ("error", "timeout")], data["results"]
    truth = runs.whole_suite()
    assert {"zapped", "survived"} <= set(truth.values())
    assert differences(data, truth) == {}, "gremlin: (%s run, whole suite)" % executor


def test_run_json_blocks_coverage_for_workers_and_cold_runs(runs):
    runs.run("fork")
    run, _ = read_run_files(runs.project)
    args = run["pytest_args"]
    assert "no:cov" in [args[i + 1] for i, a in enumerate(args[:-1]) if a == "-p"]
    for name in ("COVERAGE_PROCESS_START", "COV_CORE_SOURCE", "COV_CORE_DATAFILE"):
        assert run["env"][name] == "", name


@pytest.mark.parametrize("executor", EXECUTORS)
def test_process_wide_coverage_hook_is_off(tmp_path, executor):
    project = copy_project("cov_addopts", tmp_path / "cov_addopts")
    (project / ".coveragerc").write_text("[run]\nparallel = True\nsource = covpkg\n")
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text("import coverage\ncoverage.process_startup()\n")
    env = clean_env({"COVERAGE_PROCESS_START": str(project / ".coveragerc"),
                     "PYTHONPATH": str(site)})
    proc, data = cli_run(project, executor, tmp_path / "results.json", "--timeout",
                         TIME_LIMIT_S, env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert coverage_files(project) == []
    assert data["summary"]["error"] == 0 and data["summary"]["timeout"] == 0
