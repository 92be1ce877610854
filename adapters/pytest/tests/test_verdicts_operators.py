"""Verdicts of every operator through the real CLI (tests/projects/every_operator, run with
``--operators all``): fork, inprocess and cold give the verdicts a whole-suite run with the
gremlin active gives; the argument defaults of module-level functions are import-time
(static) gremlins and are judged right in every executor; and the deliberate gap that only a
number mutation shows (``cap = base * 10``, a cap no test reaches) is reported as a survivor."""

import pytest

from adapter_support import (EXECUTORS, cli_run, copy_project, differences, read_run_files,
                             statuses, whole_suite_verdicts)
from gremlins_pytest import operators


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    base = tmp_path_factory.mktemp("operators")
    root = copy_project("every_operator", base / "every_operator")
    return base, root, {}


def run(project, executor):
    base, root, done = project
    if executor not in done:
        # cold: a fresh interpreter for each of about 65 gremlins, slow on a loaded machine
        proc, data = cli_run(root, executor, base / ("%s.json" % executor), "--operators",
                             "all", "--timeout", 20, timeout_s=1500)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        done[executor] = (proc, data)
    return done[executor]


def gremlins_of(root):
    _, manifest = read_run_files(root)
    source = (root / "opsdemo" / "core.py").read_text().splitlines()
    return manifest["gremlins"], source


def test_every_operator_has_a_gremlin(project):
    _, root, _ = project
    run(project, "fork")
    gremlins, _ = gremlins_of(root)
    assert {g["operator"] for g in gremlins} == set(operators.OPERATORS)


def test_only_a_number_mutation_reveals_the_unreached_cap(project):
    _, root, _ = project
    _, data = run(project, "fork")
    gremlins, source = gremlins_of(root)
    line = source.index("    cap = base * 10") + 1
    on_line = {g["operator"]: g for g in gremlins if g["line"] == line}
    assert set(on_line) == {"arithmetic", "number"}
    verdict = statuses(data)
    assert verdict[on_line["number"]["id"]] == "survived"
    assert on_line["number"]["description"] == "10 to 11"
    assert verdict[on_line["arithmetic"]["id"]] == "zapped"


def test_defaults_are_static_and_zapped_in_every_executor(project):
    _, root, _ = project
    gremlins, _ = gremlins_of(root)
    defaults = [g for g in gremlins if g["operator"] == "default"]
    assert [g["description"] for g in defaults] == ["default 2 to 3", "default \",\" to 'XX,XX'"]
    assert all(g["static"] for g in defaults)
    for executor in EXECUTORS:
        _, data = run(project, executor)
        assert [statuses(data)[g["id"]] for g in defaults] == ["zapped", "zapped"], executor


def test_verdicts_equal_a_whole_suite_run_in_every_executor(project):
    base, root, _ = project
    _, cold = run(project, "subprocess")
    truth = whole_suite_verdicts(root, base)
    assert len(truth) == len(cold["results"])  # every gremlin is covered
    assert differences(cold, truth) == {}
    for executor in EXECUTORS:
        _, data = run(project, executor)
        assert statuses(data) == statuses(cold), executor
    survived = sorted(g for g, v in truth.items() if v == "survived")
    assert survived and len(survived) < len(truth) // 4, survived
