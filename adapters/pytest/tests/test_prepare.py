"""``python -m gremlins_pytest prepare`` and ``python -m gremlins_pytest.cold`` end to end:
real processes, real pytest, on copies of examples/calc (flat layout) and tests/projects/
hardcases (src layout, ``pythonpath = src``)."""

import json
import math
import os
import shutil
import subprocess
import sys

import pytest

from adapter_support import ADAPTER_DIR, CALC, HARDCASES

REQUIRED = ("id", "file", "line", "column", "end_line", "end_column", "operator", "description",
            "original", "replacement", "tests", "static")


def adapter_env(extra=None):
    env = dict(os.environ)
    env.pop("ACTIVE_GREMLIN", None)
    env["PYTHONPATH"] = str(ADAPTER_DIR)
    env.update(extra or {})
    return env


def copy_project(source, dest):
    shutil.copytree(source, dest, ignore=shutil.ignore_patterns(
        "__pycache__", ".gremlins", ".pytest_cache"))
    return dest


def prepare(project, *args, check=True):
    proc = subprocess.run(
        [sys.executable, "-m", "gremlins_pytest", "prepare", "--project", str(project), *args],
        env=adapter_env(), capture_output=True, text=True, timeout=300)
    if check:
        assert proc.returncode == 0, proc.stderr + proc.stdout
    return proc


def load(project):
    out = project / ".gremlins"
    return (json.loads((out / "manifest.json").read_text()),
            json.loads((out / "run.json").read_text()))


def decade(ms):
    """prepare's duration bucket: 0 below 30 ms, 1 below 300 ms, ..."""
    return 0 if ms < 30 else 1 + int(math.floor(math.log10(ms / 30.0)))


def by_description(manifest, file, line, description):
    found = [g for g in manifest["gremlins"] if g["file"] == file and g["line"] == line
             and g["description"] == description]
    assert len(found) == 1, (file, line, description)
    return found[0]


def cold(run, gremlin, tmp_path):
    env = adapter_env(run["env"])
    if gremlin is not None:
        env["ACTIVE_GREMLIN"] = gremlin
    report = tmp_path / "cold-report.json"
    proc = subprocess.run(run["cold_command"] + ["--report", str(report)], cwd=run["project"],
                          env=env, capture_output=True, text=True, timeout=300)
    data = json.loads(report.read_text())
    assert data["exit_code"] == proc.returncode
    return proc.returncode, data["killing_test"], proc.stdout + proc.stderr


def snapshot(folder):
    files = {}
    for root, dirs, names in os.walk(folder):
        dirs[:] = [d for d in dirs if d not in ("__pycache__", ".gremlins")]
        for name in names:
            path = os.path.join(root, name)
            with open(path, "rb") as handle:
                files[os.path.relpath(path, folder)] = handle.read()
    return files


@pytest.fixture(scope="module")
def calc(tmp_path_factory):
    project = copy_project(CALC, tmp_path_factory.mktemp("flat") / "calc")
    before = snapshot(project)
    proc = prepare(project)
    manifest, run = load(project)
    return project, manifest, run, before, proc


@pytest.fixture(scope="module")
def hard(tmp_path_factory):
    project = copy_project(HARDCASES, tmp_path_factory.mktemp("src") / "hardcases")
    prepare(project)
    manifest, run = load(project)
    return project, manifest, run


def test_calc_manifest_is_valid_and_complete(calc):
    project, manifest, run, before, proc = calc
    assert manifest["version"] == 1
    gremlins = manifest["gremlins"]
    ids = [g["id"] for g in gremlins]
    assert ids == sorted(ids) and len(set(ids)) == len(ids) and len(ids) > 40
    tests = manifest["tests"]
    assert len(tests) == 21 and all(t["duration_ms"] >= 0 for t in tests.values())
    assert "tests/test_arith.py::test_add" in tests
    for g in gremlins:
        assert all(field in g for field in REQUIRED), g
        assert g["file"] in ("calc/__init__.py", "calc/arith.py", "calc/stats.py")
        assert set(g["tests"]) <= set(tests)
        buckets = [decade(tests[t]["duration_ms"]) for t in g["tests"]]
        assert buckets == sorted(buckets), g  # fastest first, by duration bucket
    # calc has no and/or: its former boolean sites (not values, sample=False) are the unary
    # and bool_literal operators' now
    assert {g["operator"] for g in gremlins} == {"comparison", "arithmetic", "boundary",
                                                 "return", "number", "unary", "bool_literal",
                                                 "aug_assign", "condition"}
    assert proc.stdout.strip() == str(project / ".gremlins" / "run.json")


def test_calc_tests_lists_are_exact(calc):
    _, manifest, _, _, _ = calc
    plus = by_description(manifest, "calc/arith.py", 5, "+ to -")
    assert sorted(plus["tests"]) == ["tests/test_arith.py::test_add",
                                     "tests/test_arith.py::test_add_negative"]
    # sign(0) is never tested: its last return is reached by no test.
    assert by_description(manifest, "calc/arith.py", 46, "return 0 to return None")["tests"] == []
    # variance(sample=True) is never tested.
    assert by_description(manifest, "calc/stats.py", 27, "- to +")["tests"] == []
    # mean() is reached directly and through variance().
    mean_div = by_description(manifest, "calc/stats.py", 7, "/ to *")
    assert sorted(mean_div["tests"]) == ["tests/test_stats.py::test_mean",
                                         "tests/test_stats.py::test_variance"]
    # A default argument is evaluated at import (static), but only a call of its function
    # reads a literal one: the tests that call variance().
    default = by_description(manifest, "calc/stats.py", 21, "False to True")
    assert default["static"] is True
    assert default["tests"] == ["tests/test_stats.py::test_variance"]
    assert not any(g["static"] for g in manifest["gremlins"] if g["file"] == "calc/arith.py")


def test_calc_run_json_follows_the_contract(calc):
    project, manifest, run, _, _ = calc
    out = str(project / ".gremlins")
    assert run["version"] == 1
    assert run["python"] == os.path.abspath(sys.executable)
    assert run["project"] == str(project) and run["gremlins_dir"] == out
    assert run["manifest"] == os.path.join(out, "manifest.json")
    assert run["instrumented_dir"] == os.path.join(out, "instrumented")
    assert run["env"]["PYTHONPATH"].split(os.pathsep)[:2] == [run["instrumented_dir"],
                                                              str(ADAPTER_DIR)]
    assert run["worker_command"] == [run["python"], "-m", "gremlins_pytest.worker",
                                     "--gremlins-dir", out]
    assert run["cold_command"] == [run["python"], "-m", "gremlins_pytest.cold",
                                   "--gremlins-dir", out]
    assert run["baseline_ms"] > 0
    assert run["pytest_args"][:2] == ["--rootdir", str(project)]
    switch = os.path.join(run["instrumented_dir"], "_gremlins_switch.py")
    assert os.path.isfile(os.path.join(run["instrumented_dir"], "calc", "arith.py"))
    assert os.path.isfile(switch)


def test_project_tree_is_not_modified(calc):
    project, _, _, before, _ = calc
    assert snapshot(project) == before


def test_cold_verdicts_on_calc(calc, tmp_path):
    _, manifest, run, _, _ = calc
    plus = by_description(manifest, "calc/arith.py", 5, "+ to -")["id"]
    code, killing, _ = cold(run, plus, tmp_path)
    assert code == 1 and killing in plus_tests(manifest, plus)
    # x > 0 -> x >= 0 only differs at sign(0), which no test checks: it survives.
    survivor = by_description(manifest, "calc/arith.py", 42, "> to >=")["id"]
    assert cold(run, survivor, tmp_path)[:2] == (0, None)
    uncovered = by_description(manifest, "calc/arith.py", 46, "return 0 to return None")["id"]
    assert cold(run, uncovered, tmp_path)[0] == 5
    code, _, output = cold(run, "not_a_gremlin", tmp_path)
    assert code == 0 and "21 passed" in output
    code, _, output = cold(run, None, tmp_path)
    assert code == 0 and "21 passed" in output


def plus_tests(manifest, gid):
    return next(g["tests"] for g in manifest["gremlins"] if g["id"] == gid)


def test_coverage_separates_same_named_tests(hard):
    _, manifest, _ = hard
    in_shapes, in_flow = "tests/test_shapes.py::test_shared", "tests/test_flow.py::test_shared"
    assert {in_shapes, in_flow} <= set(manifest["tests"])
    in_range = by_description(manifest, "src/hard/shapes.py", 39, "< to <=")
    assert in_shapes in in_range["tests"] and in_flow not in in_range["tests"]
    label = by_description(manifest, "src/hard/flow.py", 18, "+ to -")
    assert in_flow in label["tests"] and in_shapes not in label["tests"]


def test_static_detection(hard):
    _, manifest, _ = hard
    static = {(g["line"], g["description"]): g["static"] for g in manifest["gremlins"]
              if g["file"] == "src/hard/shapes.py"}
    assert static[(13, "+ to -")]                    # THRESHOLD = 2 + 3 (module level)
    assert static[(25, "+ to -")]                    # @scaled(1 + 1) (decorator)
    assert static[(33, "+ to -")]                    # times=1 + 1 (default argument)
    assert static[(43, "* to /")]                    # LIMIT = 5 * 2 (class body)
    assert static[(9, "* to /")]                     # in _build_table(), called at import
    assert not static[(39, "< to <=")]               # in_range's body
    assert not static[(30, "* to /")]                # a lambda's body
    assert not static[(47, "> to >=")]               # a method body
    every = set(manifest["tests"])
    narrowed = {
        # in_range(x, low=0, high=10): literal defaults, seen only by its callers
        ("src/hard/shapes.py", 38): {"tests/test_shapes.py::test_in_range",
                                     "tests/test_shapes.py::test_shared"},
        # WIDTH = 6, read only by label(): its callers
        ("src/hard/flow.py", 5): {"tests/test_flow.py::test_label",
                                  "tests/test_flow.py::test_shared"},
        # THRESHOLD = 2 + 3 is read by nothing
        ("src/hard/shapes.py", 13): set(),
    }
    for g in manifest["gremlins"]:
        if g["static"] and (g["file"], g["line"]) in narrowed:
            assert set(g["tests"]) == narrowed[(g["file"], g["line"])], g
        elif g["static"]:  # e.g. greet's times=1 + 1 is not a literal: greet's defaults see all
            assert set(g["tests"]) == every, g


def test_cold_verdicts_on_hardcases_use_the_instrumented_src_layout(hard, tmp_path):
    _, manifest, run = hard
    chained = by_description(manifest, "src/hard/shapes.py", 39, "< to <=")["id"]
    assert cold(run, chained, tmp_path)[:2] == (1, "tests/test_shapes.py::test_in_range")
    class_body = by_description(manifest, "src/hard/shapes.py", 43, "* to /")["id"]
    assert cold(run, class_body, tmp_path)[:2] == (1, "tests/test_shapes.py::test_config")
    # `return decorate` -> None breaks the import: collection fails, the gremlin is zapped.
    broken_import = by_description(manifest, "src/hard/shapes.py", 22,
                                   "return decorate to return None")["id"]
    code, _, output = cold(run, broken_import, tmp_path)
    assert code == 1 and "collection" in output
    # THRESHOLD is read by nothing: no test can observe its gremlin (no_coverage, never run).
    assert by_description(manifest, "src/hard/shapes.py", 13, "+ to -")["tests"] == []


def test_ids_are_stable_when_the_project_moves(hard, tmp_path):
    project, manifest, run = hard
    moved = copy_project(HARDCASES, tmp_path / "elsewhere" / "renamed")
    prepare(moved)
    other, other_run = load(moved)

    def comparable(m):
        return [dict(g, tests=sorted(g["tests"])) for g in m["gremlins"]]

    assert comparable(other) == comparable(manifest)
    assert sorted(other["tests"]) == sorted(manifest["tests"])
    for name in ("flow.py", "shapes.py", "__init__.py"):
        a = os.path.join(run["instrumented_dir"], "hard", name)
        b = os.path.join(other_run["instrumented_dir"], "hard", name)
        assert open(a).read() == open(b).read()
    assert all(str(project) not in g["id"] and "/" not in g["id"] for g in manifest["gremlins"])


def test_targets_and_operators_select(tmp_path):
    project = copy_project(CALC, tmp_path / "calc")
    prepare(project, "--targets", "calc/stats.py", "--operators", "arithmetic,return")
    manifest, _ = load(project)
    assert {g["file"] for g in manifest["gremlins"]} == {"calc/stats.py"}
    assert {g["operator"] for g in manifest["gremlins"]} == {"arithmetic", "return"}


def test_bad_usage_exits_2(tmp_path):
    proc = prepare(tmp_path / "missing", check=False)
    assert proc.returncode == 2 and "missing" in proc.stderr
    project = copy_project(CALC, tmp_path / "calc")
    proc = prepare(project, "--operators", "comparison,bogus", check=False)
    assert proc.returncode == 2 and "bogus" in proc.stderr
    empty = tmp_path / "empty"
    (empty / "tests").mkdir(parents=True)
    (empty / "tests" / "test_x.py").write_text("def test_x():\n    pass\n")
    proc = prepare(empty, check=False)
    assert proc.returncode == 2 and "no Python sources" in proc.stderr
    proc = prepare(project, "--targets", "nope.py", check=False)
    assert proc.returncode == 2 and "nope.py" in proc.stderr


def test_failing_baseline_exits_4_with_pytest_output(tmp_path):
    project = copy_project(CALC, tmp_path / "calc")
    test_file = project / "tests" / "test_arith.py"
    test_file.write_text(test_file.read_text() + "\n\ndef test_broken():\n    assert add(1, 1) == 3\n")
    proc = prepare(project, check=False)
    assert proc.returncode == 4
    assert "test_broken" in proc.stderr and "1 failed" in proc.stderr
    assert not (project / ".gremlins" / "run.json").exists()


def test_instrumented_modules_win_over_rootdir_insertion(tmp_path):
    # A root conftest.py makes pytest put the project folder first on sys.path, in front of
    # the instrumented tree; the switch's finder must still serve the instrumented module.
    project = tmp_path / "flat"
    (project / "tests").mkdir(parents=True)
    (project / "conftest.py").write_text("")
    (project / "tool.py").write_text('"""A flat-layout module."""\n\ndef inc(x):\n'
                                     '    return x + 1\n')
    (project / "tests" / "test_tool.py").write_text(
        "import tool\n\ndef test_inc():\n    assert tool.inc(1) == 2\n\n"
        "def test_origin():\n    assert '.gremlins' in tool.__file__\n")
    prepare(project)
    manifest, run = load(project)
    assert [g["file"] for g in manifest["gremlins"]] == ["tool.py"] * 3  # +, return, 1
    for g in manifest["gremlins"]:
        assert g["tests"] == ["tests/test_tool.py::test_inc"]
        assert cold(run, g["id"], tmp_path)[:2] == (1, "tests/test_tool.py::test_inc")
