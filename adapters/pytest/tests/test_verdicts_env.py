"""``--env`` reaches the prepare step (tests/projects/needs_env: its conftest refuses to run
without GREMLIN_DEMO_MODE=on).

The prepare step's baseline and coverage run used to start without the ``--env`` values, so the
baseline failed (exit 4) although the same tests pass in the workers and cold runs, which do get
them.  Through the real CLI with ``--env GREMLIN_DEMO_MODE=on``, in the fork, inprocess and cold
executors: the run completes and every covered gremlin gets a whole-suite run's verdict.  A
malformed ``--env`` is refused before anything runs (exit 2).
"""

import pytest

from adapter_support import (EXECUTORS, clean_env, cli_run, copy_project, differences,
                             statuses, whole_suite_verdicts)

TIME_LIMIT_S = 20
MODE = {"GREMLIN_DEMO_MODE": "on"}


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    base = tmp_path_factory.mktemp("env")
    return base, copy_project("needs_env", base / "needs_env"), {}


def run(project, executor):
    base, root, done = project
    if executor not in done:
        proc, data = cli_run(root, executor, base / ("%s.json" % executor), "--timeout",
                             TIME_LIMIT_S, "--env", "GREMLIN_DEMO_MODE=on")
        assert proc.returncode == 0, proc.stdout + proc.stderr
        done[executor] = data
    return done[executor]


@pytest.fixture(scope="module")
def truth(project):
    base, root, _ = project
    run(project, "fork")
    return whole_suite_verdicts(root, base, env=MODE)


@pytest.mark.parametrize("executor", EXECUTORS)
def test_env_values_reach_the_baseline_and_every_run(project, truth, executor):
    data = run(project, executor)
    assert {"zapped", "survived"} <= set(truth.values())
    assert "error" not in statuses(data).values()
    assert differences(data, truth) == {}, "gremlin: (%s run, whole suite)" % executor


def test_a_malformed_env_is_refused_before_the_prepare_step(tmp_path):
    root = copy_project("needs_env", tmp_path / "needs_env")
    proc, _ = cli_run(root, "fork", tmp_path / "r.json", "--env", "=on", env=clean_env())
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "--env: expected KEY=VALUE" in proc.stderr
    assert not (root / ".gremlins" / "run.json").exists()
