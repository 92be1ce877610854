"""Choosing what to run through the real CLI on a copy of examples/calc: ``run --pytest
--gremlins`` with ids, globs and FILE:LINE tests only the chosen gremlins, again, with the
verdict a full run gives; ``results.json`` and the results store keep every other gremlin with
its last verdict; a choice that matches nothing is refused before any gremlin runs; and
``--exclude`` / ``[tool.pytest-gremlins]`` decide what is mutated."""

import json
import shutil
import sqlite3
import subprocess

import pytest

from adapter_support import CALC
from test_e2e_cli import RUN_LIMIT_S, binary, clean_env


def run(project, *extra, expect=0):
    proc = subprocess.run([binary(), "run", "--pytest", "--project", str(project), "--no-color"]
                          + [str(e) for e in extra],
                          cwd=str(project), env=clean_env(), stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=RUN_LIMIT_S)
    assert proc.returncode == expect, proc.stdout + proc.stderr
    return proc


def results(project):
    data = json.loads((project / ".gremlins" / "results.json").read_text())
    return {r["gremlin_id"]: r for r in data["results"]}


def stored(project):
    with sqlite3.connect(str(project / ".gremlins" / "results.db")) as db:
        return dict(db.execute("select gremlin_id, status from results"))


@pytest.fixture(scope="module")
def calc_full(tmp_path_factory):
    """A copy of examples/calc after one full run: (project, its results by id)."""
    project = tmp_path_factory.mktemp("select") / "calc"
    shutil.copytree(CALC, project, ignore=shutil.ignore_patterns(".gremlins", "__pycache__"))
    run(project)
    full = results(project)
    assert full and not any(r.get("reused") for r in full.values())
    return project, full


def pick(full, status):
    return sorted(g for g, r in full.items() if r["status"] == status)[0]


def test_one_gremlin_is_tested_again_and_the_saved_results_keep_every_other(calc_full):
    project, full = calc_full
    one = pick(full, "zapped")
    proc = run(project, "--gremlins", one)
    after = results(project)
    assert set(after) == set(full)  # every gremlin is still there
    assert not after[one].get("reused") and after[one]["status"] == full[one]["status"]
    assert all(after[g].get("reused") for g in after if g != one)
    assert {g: r["status"] for g, r in after.items()} == {g: r["status"] for g, r in full.items()}
    assert stored(project) == {g: r["status"] for g, r in full.items()}
    assert ("Tested now: 1 of the project's %d gremlins: 1 zapped. The project stands at" % len(full)
            in proc.stdout), proc.stdout
    assert "(%d from earlier runs)" % (len(full) - 1) in proc.stdout
    assert "1 of %d gremlins chosen to test" % len(full) in proc.stderr
    quiet = run(project, "--gremlins", one, "-q")
    assert quiet.stdout.count("\n") == 1
    assert "; tested now 1 of %d (1 zapped)" % len(full) in quiet.stdout


def test_a_survivor_chosen_by_its_line_gets_the_full_runs_verdict(calc_full):
    project, full = calc_full
    survivor = full[pick(full, "survived")]
    where = "%s:%d" % (survivor["file"], survivor["line"])
    on_line = {g for g, r in full.items() if r["file"] == survivor["file"]
               and r["line"] <= survivor["line"] <= r["end_line"]}
    run(project, "--gremlins", where)
    after = results(project)
    fresh = {g for g, r in after.items() if not r.get("reused")}
    assert fresh == on_line
    assert all(after[g]["status"] == full[g]["status"] for g in fresh)
    # The same file by its absolute path, and a range of lines.
    run(project, "--gremlins", "%s:%d-%d" % (project / survivor["file"], survivor["line"],
                                              survivor["line"]))
    assert {g for g, r in results(project).items() if not r.get("reused")} == on_line


def test_a_glob_and_an_ids_file_choose(calc_full, tmp_path):
    project, full = calc_full
    stats = {g for g in full if g.startswith("calc_stats_py_")}
    assert stats
    run(project, "--gremlins", "calc_stats_py_*")
    assert {g for g, r in results(project).items() if not r.get("reused")} == stats
    ids = tmp_path / "ids.txt"
    one = sorted(stats)[0]
    ids.write_text("# the survivors to look at again\n%s\n\ncalc/arith.py\n" % one)
    run(project, "--gremlin-ids", ids)
    arith = {g for g, r in full.items() if r["file"] == "calc/arith.py"}
    assert {g for g, r in results(project).items() if not r.get("reused")} == arith | {one}


def test_a_choice_that_matches_nothing_is_refused_before_any_gremlin_runs(calc_full, tmp_path):
    project, full = calc_full
    before = (project / ".gremlins" / "results.json").read_text()
    for choice, message in [
        ("calc_nothing_*", "--gremlins: 'calc_nothing_*' matches no gremlin id (%d gremlins" % len(full)),
        ("calc/arith.py:1", "--gremlins: 'calc/arith.py:1' has no gremlin on line 1 of calc/arith.py"),
        ("calc/nope.py:3", "--gremlins: 'calc/nope.py:3' is no gremlin id, and calc/nope.py is no file"),
        ("bogus", "--gremlins: 'bogus' matches no gremlin"),
    ]:
        proc = run(project, "--gremlins", "%s,%s" % (sorted(full)[0], choice), expect=2)
        assert message in proc.stderr, proc.stderr
        assert "Tested now" not in proc.stdout
        assert (project / ".gremlins" / "results.json").read_text() == before
    ids = tmp_path / "bad-ids.txt"
    ids.write_text("%s\ncalc/arith.py:9999\n" % sorted(full)[0])
    proc = run(project, "--gremlin-ids", ids, expect=2)
    assert "%s:2: 'calc/arith.py:9999' has no gremlin on line 9999" % ids in proc.stderr


def test_without_a_store_the_last_results_file_keeps_the_others(tmp_path):
    project = tmp_path / "calc"
    shutil.copytree(CALC, project, ignore=shutil.ignore_patterns(".gremlins", "__pycache__"))
    run(project, "--no-store", "--targets", "calc/stats.py")
    full = results(project)
    one = sorted(full)[0]
    run(project, "--no-store", "--targets", "calc/stats.py", "--gremlins", one)
    after = results(project)
    assert set(after) == set(full)
    assert [g for g, r in after.items() if not r.get("reused")] == [one]
    assert not (project / ".gremlins" / "results.db").exists()


def test_exclude_and_pytest_gremlins_table_decide_what_is_mutated(tmp_path):
    project = tmp_path / "calc"
    shutil.copytree(CALC, project, ignore=shutil.ignore_patterns(".gremlins", "__pycache__"))
    (project / "pyproject.toml").write_text(
        "[tool.pytest-gremlins]\noperators = [\"comparison\", \"arithmetic\"]\n"
        "paths = [\"calc\"]\nexclude = [\"calc/arith.py\"]\nworkers = 3\n")
    config = subprocess.run([binary(), "config", "--project", str(project)], cwd=str(project),
                            env=clean_env(), capture_output=True, text=True, timeout=60)
    assert config.returncode == 0, config.stderr
    assert "targets = calc    # %s/pyproject.toml:3 [tool.pytest-gremlins] paths" % project in config.stdout
    assert "exclude = calc/arith.py    # %s/pyproject.toml:4 [tool.pytest-gremlins]" % project in config.stdout
    assert "workers = (CPU count when parallel)    # default" in config.stdout  # not read
    run(project, "--no-store")
    got = results(project)
    assert got and {r["file"] for r in got.values()} == {"calc/stats.py"}
    assert {r["operator"] for r in got.values()} <= {"comparison", "arithmetic"}
    # Ours wins over theirs; the command line over both.
    (project / "gremlin-actors.toml").write_text("exclude = [\"calc/stats.py\"]\n")
    run(project, "--no-store")
    assert {r["file"] for r in results(project).values()} == {"calc/arith.py"}
    run(project, "--no-store", "--exclude", "*_nothing.py")
    assert {r["file"] for r in results(project).values()} == {"calc/arith.py", "calc/stats.py"}
    # A bad value names the file, the line and the key.
    (project / "pyproject.toml").write_text("[tool.pytest-gremlins]\n\npaths = \"calc\"\n")
    proc = run(project, "--no-store", expect=2)
    assert ("pyproject.toml:3: [tool.pytest-gremlins] key 'paths' must be an array of strings, "
            "not a string" in proc.stderr), proc.stderr
