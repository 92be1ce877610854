"""What ``prepare`` mutates: ``--targets`` globs, ``--exclude`` (files, folders, globs) and the
``# pragma: no mutate`` comment, through the real ``python -m gremlins_pytest prepare`` on
real pytest projects."""

import json
import os
import shutil
import subprocess
import sys
import textwrap

from adapter_support import ADAPTER_DIR, CALC

from gremlins_pytest import project as proj
from gremlins_pytest.errors import UsageError


def prepare(project, *args, check=True):
    env = dict(os.environ)
    env.pop("ACTIVE_GREMLIN", None)
    env["PYTHONPATH"] = str(ADAPTER_DIR)
    proc = subprocess.run(
        [sys.executable, "-m", "gremlins_pytest", "prepare", "--project", str(project), *args],
        env=env, capture_output=True, text=True, timeout=300)
    if check:
        assert proc.returncode == 0, proc.stderr + proc.stdout
    return proc


def manifest_of(project):
    return json.loads((project / ".gremlins" / "manifest.json").read_text())


def files_of(project):
    return {g["file"] for g in manifest_of(project)["gremlins"]}


def layered(tmp_path):
    """A flat-layout package with a sub-package and generated modules, and one test."""
    root = tmp_path / "layered"
    for rel, text in {
        "pkg/__init__.py": "",
        "pkg/core.py": "def inc(x):\n    return x + 1\n",
        "pkg/core_pb2.py": "def gen(x):\n    return x * 2\n",
        "pkg/vendor/__init__.py": "",
        "pkg/vendor/lib.py": "def dec(x):\n    return x - 1\n",
        "pkg/vendor/lib_pb2.py": "def other(x):\n    return x * 3\n",
        "tests/test_core.py": "from pkg.core import inc\n\ndef test_inc():\n    assert inc(1) == 2\n",
    }.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def test_targets_accept_glob_patterns(tmp_path):
    root = layered(tmp_path)
    prepare(root, "--targets", "pkg/*_pb2.py")
    assert files_of(root) == {"pkg/core_pb2.py", "pkg/vendor/lib_pb2.py"}  # * crosses /
    prepare(root, "--targets", "pkg/vendor/*.py,pkg/core.py")
    assert files_of(root) == {"pkg/vendor/lib.py", "pkg/vendor/lib_pb2.py", "pkg/core.py"}
    prepare(root, "--targets", "**/lib.py")  # **/ may match no folder as well as several
    assert files_of(root) == {"pkg/vendor/lib.py"}


def test_a_target_pattern_that_matches_nothing_is_refused(tmp_path):
    root = layered(tmp_path)
    proc = prepare(root, "--targets", "pkg/*.pyx", check=False)
    assert proc.returncode == 2
    assert "--targets: the pattern pkg/*.pyx matches no Python source file" in proc.stderr


def test_exclude_removes_files_folders_and_patterns(tmp_path):
    root = layered(tmp_path)
    prepare(root)
    assert files_of(root) == {"pkg/core.py", "pkg/core_pb2.py", "pkg/vendor/lib.py",
                              "pkg/vendor/lib_pb2.py"}
    prepare(root, "--exclude", "pkg/vendor")  # a folder: everything below it
    assert files_of(root) == {"pkg/core.py", "pkg/core_pb2.py"}
    prepare(root, "--exclude", "*_pb2.py")  # no /: the file name anywhere
    assert files_of(root) == {"pkg/core.py", "pkg/vendor/lib.py"}
    prepare(root, "--exclude", "vendor", "pkg/core_pb2.py")  # a folder name; a file
    assert files_of(root) == {"pkg/core.py"}
    prepare(root, "--targets", "pkg/vendor", "--exclude", str(root / "pkg/vendor/lib.py"))
    assert files_of(root) == {"pkg/vendor/lib_pb2.py"}  # an absolute path inside the project


def test_exclude_that_matches_nothing_is_noted_and_one_that_leaves_nothing_is_refused(tmp_path):
    root = layered(tmp_path)
    proc = prepare(root, "--exclude", "nowhere/*.py")
    assert "--exclude: nowhere/*.py matches none of the files to mutate" in proc.stderr
    proc = prepare(root, "--exclude", "pkg", check=False)
    assert proc.returncode == 2 and "--exclude pkg leaves no Python source" in proc.stderr
    proc = prepare(root, "--exclude", "../elsewhere", check=False)
    assert proc.returncode == 2 and "--exclude: ../elsewhere is outside the project" in proc.stderr


def test_pragma_no_mutate_skips_the_line_and_keeps_the_other_ids(tmp_path):
    root = tmp_path / "calc"
    shutil.copytree(CALC, root, ignore=shutil.ignore_patterns(".gremlins", "__pycache__"))
    prepare(root, "--targets", "calc/stats.py")
    before = {g["id"]: g for g in manifest_of(root)["gremlins"]}
    source = (root / "calc" / "stats.py").read_text().splitlines(True)
    # The line of the first gremlin, and a line with the pragma's text inside a string.
    first = min(before.values(), key=lambda g: (g["line"], g["column"]))
    line = first["line"]
    source[line - 1] = source[line - 1].rstrip("\n") + "  # noqa  # pragma: no mutate\n"
    source.append('\nNOT_A_PRAGMA = "# pragma: no mutate"\n')
    (root / "calc" / "stats.py").write_text("".join(source))
    proc = prepare(root, "--targets", "calc/stats.py")
    after = {g["id"]: g for g in manifest_of(root)["gremlins"]}
    on_line = {i for i, g in before.items() if g["line"] <= line <= g["end_line"]}
    assert on_line and not (on_line & set(after))
    assert set(after) == set(before) - on_line  # every other gremlin keeps its id
    assert "gremlins left out by # pragma: no mutate" in proc.stderr


def test_pragma_covers_every_line_of_a_multi_line_site():
    source = textwrap.dedent("""\
        def f(a, b):
            return (a <
                    b)  # pragma: no mutate

        def g(a, b):
            return a < b
        """)
    assert proj.pragma_lines(source) == {3}

    class Site:
        def __init__(self, line, end_line):
            self.line, self.end_line = line, end_line

    sites = [Site(2, 3), Site(6, 6)]
    assert [s.line for s in proj.without_pragma(sites, source)] == [6]


def test_glob_matching_rules():
    assert proj.glob_matches("src/*.py", "src/a/b.py")
    assert proj.glob_matches("*_pb2.py", "src/a/x_pb2.py")
    assert proj.glob_matches("src/**/x.py", "src/x.py")
    assert not proj.glob_matches("src/*.py", "lib/a.py")
    try:
        proj.exclude_files(str(CALC), ["calc/stats.py"], ["/etc/passwd"])
    except UsageError as exc:
        assert "outside the project" in str(exc)
    else:
        raise AssertionError("an exclusion outside the project was accepted")
