"""Incremental runs through the real CLI on a copy of examples/calc: the results store
(.gremlins/results.db) keeps every verdict with its gremlin's fingerprint; an unchanged re-run
tests nothing, a changed function re-tests only its gremlins, a changed test file the gremlins
its tests cover, and every verdict equals that of a full run."""

import json
import shutil
import subprocess

from adapter_support import CALC
from test_e2e_cli import RUN_LIMIT_S, binary, clean_env


def run(project, *extra):
    out = project.parent / "results.json"
    proc = subprocess.run([binary(), "run", "--pytest", "--project", str(project), "--json", str(out)] + list(extra),
                          cwd=str(project), env=clean_env(), stdin=subprocess.DEVNULL, capture_output=True,
                          text=True, timeout=RUN_LIMIT_S)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    results = json.loads(out.read_text())["results"]
    verdicts = {r["gremlin_id"]: r["status"] for r in results}
    tested = {r["gremlin_id"] for r in results if not r.get("reused")}
    return verdicts, tested, {r["gremlin_id"]: r for r in results}


def test_only_what_changed_is_tested_again(tmp_path):
    project = tmp_path / "calc"
    shutil.copytree(CALC, project, ignore=shutil.ignore_patterns(".gremlins", "__pycache__"))
    full, tested, _ = run(project)
    assert tested == set(full)
    again, tested, _ = run(project)
    assert tested == set() and again == full
    arith = project / "calc" / "arith.py"
    arith.write_text(arith.read_text().replace("def clamp(value, low, high):\n",
                                               "def clamp(value, low, high):\n    # edited\n", 1))
    edited, tested, by_id = run(project)
    assert tested, "the edited function's gremlins must run again"
    assert all(by_id[g]["line"] >= 26 and by_id[g]["line"] <= 40 for g in tested), tested
    assert edited == full
    forced, tested, _ = run(project, "--force")
    assert tested == set(full) and forced == full
    # A test file changed: the gremlins its tests cover run again, the others do not.
    test_files = sorted((project / "tests").glob("test_*.py"))
    test_files[0].write_text(test_files[0].read_text() + "\n# edited\n")
    _, tested, by_id = run(project)
    assert tested and tested != set(full)
    for g in tested:
        assert any(t.startswith("tests/" + test_files[0].name) for t in by_id[g]["tests"]), g
