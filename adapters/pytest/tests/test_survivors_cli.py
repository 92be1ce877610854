"""The survivor loop through the real ``gremlin-actors`` CLI on a real pytest project: the
console shows each survivor's source line and its mutant, ``list`` lists the gremlins without
testing any, ``show`` prints a gremlin's status, tests and unified diff, ``apply`` writes the
mutant into the working tree (and refuses a file that changed since the run), the end of the
run says where the results went, ``-q`` counts no_coverage, and colours follow the terminal,
``--no-color`` and NO_COLOR.

Needs the built CLI in $GREMLIN_ACTORS_BIN (as test_e2e_cli.py)."""

import json
import os
import pty
import re
import select
import shutil
import subprocess
import sys
import textwrap

import pytest

from test_e2e_cli import binary, clean_env

RUN_LIMIT_S = 300

RNG = textwrap.dedent("""\
    def clamp(low, high, x):
        if low > high:
            raise ValueError("empty range")
        return max(low, min(high, x))


    def between(low, high, x):
        return low <= x <= high


    def unused(a, b):
        return a == b
    """)

TESTS = textwrap.dedent("""\
    from pkg.rng import between, clamp


    def test_clamp():
        assert clamp(0, 10, 5) == 5
        assert clamp(0, 10, 20) == 10


    def test_between():
        assert between(0, 10, 5)
        assert not between(0, 10, 11)
    """)


def make_project(root):
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "__init__.py").write_text("")
    (root / "pkg" / "rng.py").write_text(RNG)
    (root / "tests").mkdir()
    (root / "tests" / "test_rng.py").write_text(TESTS)
    (root / "pytest.ini").write_text("[pytest]\ntestpaths = tests\npythonpath = .\n")
    (root / "gremlin-actors.toml").write_text('operators = ["comparison"]\ntimeout = 20\n'
                                              'python = "%s"\n' % sys.executable)
    return root


def cli(*args, cwd, env=None):
    return subprocess.run([binary()] + [str(a) for a in args], cwd=str(cwd), env=env or clean_env(),
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=RUN_LIMIT_S)


@pytest.fixture(scope="module")
def tested(tmp_path_factory):
    """A project after one `run --pytest`: (root, completed process, results by description)."""
    root = make_project(tmp_path_factory.mktemp("survivors") / "proj")
    proc = cli("run", "--pytest", "--report-elements", "elements.json", "--report-html", "report.html", cwd=root)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    data = json.loads((root / ".gremlins" / "results.json").read_text())
    return root, proc, data


def by(data, description, line):
    found = [r for r in data["results"] if r.get("description") == description and r.get("line") == line]
    assert len(found) == 1, (description, line, data["results"])
    return found[0]


def test_console_shows_each_survivor_line_and_mutant_grouped_by_file(tested):
    root, proc, data = tested
    out = proc.stdout
    survivor = by(data, "> to >=", 2)
    assert survivor["status"] == "survived"
    # The survivor's line of the list, then its source line and the line the gremlin makes.
    assert ("  pkg/rng.py:2  > to >=  (comparison)  [%s]\n"
            "    -    if low > high:\n"
            "    +    if low >= high:\n" % survivor["gremlin_id"]) in out
    assert "    -    return low <= x <= high\n    +    return low < x <= high\n" in out
    assert "    -    return low <= x <= high\n    +    return low <= x < high\n" in out
    # The uncovered gremlin too; the zapped ones are not listed.
    uncovered = by(data, "== to !=", 12)
    assert uncovered["status"] == "no_coverage"
    assert "    -    return a == b\n    +    return a != b\n" in out
    zapped = by(data, "> to <", 2)
    assert zapped["status"] == "zapped"
    assert zapped["gremlin_id"] not in out
    assert "\x1b[" not in out  # NO_COLOR, and not a terminal


def test_the_end_of_a_run_says_where_the_results_went(tested):
    root, proc, data = tested
    tail = proc.stdout[proc.stdout.index("\nResults:\n"):]
    assert re.search(r"  results file   \S*\.gremlins/results\.json  \(read by gremlin-actors report, show ID, "
                     r"apply ID\)\n", tail), tail
    assert re.search(r"  results store  \S*\.gremlins/results\.db", tail), tail
    assert "  elements JSON  elements.json\n" in tail
    assert ("  HTML report    report.html  (open it in a browser: xdg-open report.html, or file://%s/report.html)\n"
            % root) in tail
    assert (root / "elements.json").is_file() and (root / "report.html").is_file()


def test_quiet_summary_counts_no_coverage(tmp_path):
    root = make_project(tmp_path / "proj")
    proc = cli("run", "--pytest", "-q", cwd=root)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    data = json.loads((root / ".gremlins" / "results.json").read_text())
    s = data["summary"]
    assert proc.stdout == ("gremlins: %d total, %d zapped, %d survived, %d no_coverage, score %.2f%%\n"
                           % (s["total"], s["zapped"], s["survived"], s["no_coverage"], s["score"]))
    assert s["no_coverage"] == 1  # a == b to a != b (comparison only)


def test_list_reads_the_last_manifest_and_tests_nothing(tested):
    root, _, data = tested
    proc = cli("list", cwd=root)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].split() == ["ID", "FILE:LINE", "OPERATOR", "TESTS", "DESCRIPTION"]
    ids = {r["gremlin_id"] for r in data["results"]}
    listed = [l.split()[0] for l in lines[1:] if l and l.split()[0] in ids]
    assert sorted(listed) == sorted(ids)
    survivor = by(data, "> to >=", 2)
    row = [l for l in lines if l.startswith(survivor["gremlin_id"] + " ")][0]
    assert row.split()[1:5] == ["pkg/rng.py:2", "comparison", "1", ">"]
    assert re.search(r"^%d gremlins in 1 file: \d+ covered by a test, 1 not covered by any test$" % len(ids),
                     proc.stdout, re.M), proc.stdout

    listed = json.loads(cli("list", "--json", cwd=root).stdout)
    assert listed["schema"] == "gremlin-actors/list/1"
    entry = [g for g in listed["gremlins"] if g["id"] == survivor["gremlin_id"]][0]
    assert entry["file"] == "pkg/rng.py" and entry["line"] == 2 and entry["operator"] == "comparison"
    assert entry["description"] == "> to >=" and entry["covering_tests"] == 1
    assert entry["tests"] == ["tests/test_rng.py::test_clamp"]
    assert [g["covering_tests"] for g in listed["gremlins"] if g["line"] == 12] == [0]


def test_list_pytest_prepares_a_fresh_project_without_testing_a_gremlin(tmp_path):
    root = make_project(tmp_path / "proj")
    with open(root / "gremlin-actors.toml", "a") as toml:
        toml.write("pytest = true\n")  # for `run`: only the flag makes `list` prepare
    refused = cli("list", cwd=root)
    assert refused.returncode == 2  # no manifest yet: says how to make one
    assert ".gremlins/manifest.json does not exist" in refused.stderr and "--pytest" in refused.stderr
    assert not (root / ".gremlins" / "manifest.json").exists()
    proc = cli("list", "--pytest", "--json", cwd=root)
    assert proc.returncode == 0, proc.stderr
    listed = json.loads(proc.stdout)
    assert len(listed["gremlins"]) == 7
    assert not (root / ".gremlins" / "results.json").exists()  # nothing was tested
    assert not (root / ".gremlins" / "results.db").exists()


def test_list_refuses_a_missing_manifest_with_exit_2(tmp_path):
    proc = cli("list", "--manifest", tmp_path / "nope.json", cwd=tmp_path)
    assert proc.returncode == 2
    assert "nope.json" in proc.stderr


def test_show_prints_status_tests_and_a_unified_diff_that_patch_accepts(tested, tmp_path):
    root, _, data = tested
    survivor = by(data, "> to >=", 2)
    gid = survivor["gremlin_id"]
    proc = cli("show", gid, cwd=root)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert out.startswith("%s  survived\n  pkg/rng.py:2:12  > to >=  (comparison)\n" % gid), out
    assert "  covering tests: 1\n    tests/test_rng.py::test_clamp\n" in out
    diff = out[out.index("--- a/pkg/rng.py"):]
    assert diff.startswith("--- a/pkg/rng.py\n+++ b/pkg/rng.py\n@@ -1,5 +1,5 @@\n"
                           " def clamp(low, high, x):\n-    if low > high:\n+    if low >= high:\n")
    # The diff is a real one: patch applies it to a copy and gives the mutant.
    copy = tmp_path / "copy"
    shutil.copytree(root / "pkg", copy / "pkg")
    subprocess.run(["patch", "-p1", "--quiet"], input=diff, cwd=str(copy), check=True, text=True)
    assert "    if low >= high:\n" in (copy / "pkg" / "rng.py").read_text()

    zapped = by(data, "> to <", 2)
    out = cli("show", zapped["gremlin_id"], cwd=root).stdout
    assert "%s  zapped\n" % zapped["gremlin_id"] in out
    assert "  killed by: tests/test_rng.py::test_clamp\n" in out

    # Patterns, several at once, each once.
    everything = cli("show", "pkg_rng_py_*", gid, cwd=root)
    assert everything.returncode == 0
    assert everything.stdout.count("--- a/pkg/rng.py") == len(data["results"])


def test_show_refuses_unknown_ids_naming_them(tested):
    root, _, data = tested
    known = data["results"][0]["gremlin_id"]
    proc = cli("show", known, "nope_g1", "nope_*", cwd=root)
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert "'nope_g1', 'nope_*'" in proc.stderr and "results.json" in proc.stderr
    missing = cli("show", known, "--results", root / "none.json", cwd=root)
    assert missing.returncode == 2 and "none.json" in missing.stderr


def test_apply_writes_the_mutant_the_run_tested_and_refuses_a_changed_file(tested, tmp_path):
    root, _, data = tested
    work = tmp_path / "work"
    shutil.copytree(root, work)
    source = work / "pkg" / "rng.py"
    survivor = by(data, "> to >=", 2)
    proc = cli("apply", survivor["gremlin_id"], cwd=work)
    assert proc.returncode == 0, proc.stderr
    assert "wrote %s into" % survivor["gremlin_id"] in proc.stdout
    assert source.read_text() == RNG.replace("if low > high:", "if low >= high:")
    # A survivor: the suite passes with its mutant in place, as the run said.
    tests = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=str(work),
                           capture_output=True, text=True, timeout=RUN_LIMIT_S, env=clean_env())
    assert tests.returncode == 0, tests.stdout

    # The file is no longer what the run tested: refused, named, untouched.
    zapped = by(data, "> to <", 2)
    again = cli("apply", zapped["gremlin_id"], cwd=work)
    assert again.returncode == 2
    assert "pkg/rng.py changed since the run" in again.stderr
    assert source.read_text() == RNG.replace("if low > high:", "if low >= high:")

    # Back as it was: a zapped gremlin's mutant fails the suite.
    source.write_text(RNG)
    assert cli("apply", zapped["gremlin_id"], cwd=work).returncode == 0
    tests = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=str(work),
                           capture_output=True, text=True, timeout=RUN_LIMIT_S, env=clean_env())
    assert tests.returncode == 1, tests.stdout

    unknown = cli("apply", "nope_g1", cwd=work)
    assert unknown.returncode == 2 and "nope_g1" in unknown.stderr


def on_a_terminal(argv, cwd, env):
    """Runs argv with its standard output on a pseudo-terminal; returns (exit code, output)."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(argv, cwd=str(cwd), env=env, stdin=subprocess.DEVNULL, stdout=slave,
                            stderr=subprocess.PIPE)
    os.close(slave)
    chunks = []
    while True:
        ready, _, _ = select.select([master], [], [], RUN_LIMIT_S)
        if not ready:
            proc.kill()
            break
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(master)
    proc.wait(timeout=RUN_LIMIT_S)
    return proc.returncode, b"".join(chunks).decode("utf-8", "replace")


def test_colours_on_a_terminal_unless_no_color_or_the_flag(tested):
    root, _, data = tested
    results = root / ".gremlins" / "results.json"
    env = clean_env()
    env.pop("NO_COLOR", None)
    code, out = on_a_terminal([binary(), "report", str(results)], root, env)
    assert code == 0
    assert "\x1b[31m-    if low > high:\x1b[0m" in out
    assert "\x1b[32m+    if low >= high:\x1b[0m" in out
    code, out = on_a_terminal([binary(), "report", str(results), "--no-color"], root, env)
    assert code == 0 and "\x1b[" not in out and "+    if low >= high:" in out
    env["NO_COLOR"] = "1"
    code, out = on_a_terminal([binary(), "report", str(results)], root, env)
    assert code == 0 and "\x1b[" not in out
    env.pop("NO_COLOR")
    piped = cli("report", results, cwd=root, env=env)
    assert piped.returncode == 0 and "\x1b[" not in piped.stdout and "+    if low >= high:" in piped.stdout
