"""Instrumented code keeps every line's number, and the text of every line outside the mutated
expressions (comments, docstrings, blank lines).

Before, the instrumented tree was ``ast.unparse``d under a header comment: comments dropped,
lines shifted, so projects whose tests check line numbers or source text failed their
baseline, and tracebacks pointed at the wrong lines.  The instrumenter now rewrites only the
mutated expressions' text, each on its own lines; the oracle here is the original source
itself: the same exceptions and warnings at the same line numbers, the same lines where nothing
is mutated.  projects/line_numbers goes end to end: its tests assert a warning's line, the line
a traceback names and ``inspect.getsourcelines`` of a commented function.
"""

import io
import re
import textwrap
import tokenize
import traceback
import warnings

import pytest

from adapter_support import CALC, HARDCASES, fake_switch, run_module
from gremlins_pytest import instrument, switch as switch_module
from test_fork_safety import ProjectRuns, copy_project, verdicts

TRAILER = "# Instrumented by gremlins_pytest from %s: do not edit.\n"


def instrumented(source, relpath="m.py"):
    result = instrument.instrument_source(source, relpath)
    return result.source, [s.as_manifest(relpath) for s in result.sites]


def stand_in_switch(active=None):
    module = fake_switch(active)
    for name, value in switch_module.helpers().items():
        setattr(module, name, value)
    return module


def site_lines(source, gremlins):
    """The lines of the expressions or statements holding a site (those lines may change)."""
    import ast

    tree = ast.parse(source)
    lines = set()
    starts = {(g["line"], g["column"] - 1) for g in gremlins}
    for node in ast.walk(tree):
        if not hasattr(node, "end_lineno") or isinstance(node, (ast.FunctionDef, ast.ClassDef,
                                                                 ast.AsyncFunctionDef, ast.If,
                                                                 ast.For, ast.While, ast.With,
                                                                 ast.Try, ast.Module)):
            continue
        span = range(node.lineno, node.end_lineno + 1)
        if any(line in span for line, _ in starts):
            if isinstance(node, ast.stmt) and not isinstance(node, (ast.AugAssign, ast.Return)):
                continue
            lines.update(span)
    return lines


PROBE = re.compile(r"_gremlins_switch\.active == 'call:[\w:]+'; ")
PROBE_AROUND = re.compile(r"\(_gremlins_switch\.active == 'call:[\w:]+' or \(")


def without_probe(after, before):
    """A line without the probe of a function with default-argument gremlins (in front of its
    first statement, or ``(probe or (...))`` around its header expression), when that gives
    the original line back."""
    after = PROBE.sub("", after, count=1)
    opened = PROBE_AROUND.sub("", after, count=1)
    if opened == after:
        return after
    start = 0
    while True:
        index = opened.find("))", start)
        if index < 0:
            return opened
        closed = opened[:index] + opened[index + 2:]
        if closed == before:
            return closed
        start = index + 1


def assert_lines_kept(source, relpath="m.py"):
    code, gremlins = instrumented(source, relpath)
    if not gremlins:
        assert code == source
        return code, gremlins
    original, new = source.splitlines(True), code.splitlines(True)
    assert new.pop() == TRAILER % relpath
    if len(new) == len(original) + 1:  # no place for the switch import but a new last line
        assert new.pop() == "import _gremlins_switch\n"
    assert len(new) == len(original), code
    changed = site_lines(source, gremlins)
    imports = 0
    for number, (before, after) in enumerate(zip(original, new), 1):
        if number in changed:
            continue
        for inserted in ("; import _gremlins_switch", "import _gremlins_switch; ",
                         "import _gremlins_switch  ", "import _gremlins_switch"):
            if inserted in after and inserted not in before:
                after = after.replace(inserted, "", 1)
                imports += 1
                break
        after = without_probe(after, before)
        assert after == before, (number, before, after)
    assert imports <= 1
    comments = [t for t in tokenize.generate_tokens(io.StringIO(source).readline)
                if t.type == tokenize.COMMENT]
    for token in comments:  # every comment stays, on its line
        assert token.string in new[token.start[0] - 1], token
    return code, gremlins


@pytest.mark.parametrize("path", sorted((CALC / "calc").glob("*.py"))
                         + sorted((HARDCASES / "src" / "hard").glob("*.py")),
                         ids=lambda p: p.name)
def test_sample_projects_keep_their_lines(path):
    assert_lines_kept(path.read_text())


TRICKY = '''\
"""Docstring,
on two lines."""
# a comment before the code
import os  # why os


def f(a, b,  # the arguments
      c=1 + 2):
    total = (a +  # a comment inside an expression
             b)
    x = [a < b,
         b > c]
    total += (c
              * 2)
    return (total,
            x)  # a trailing comment


def g(n):
    """Doc of g."""
    return f"{n + 1}\\n{n > 2}"
'''


def test_comments_and_multi_line_expressions_keep_their_lines():
    code, gremlins = assert_lines_kept(TRICKY)
    module = run_module(code, stand_in_switch())
    assert module.f(1, 2) == ((1 + 2) + 3 * 2, [True, False])
    assert module.g(3) == "4\nTrue"
    assert module.__doc__ == "Docstring,\non two lines."


def test_future_import_stays_first_and_the_switch_import_moves_nothing():
    source = '"""Doc."""\nfrom __future__ import annotations  # comment\n\nX = 1 + 1\n'
    code, _ = assert_lines_kept(source)
    lines = code.splitlines()
    assert lines[1] == ("from __future__ import annotations; import _gremlins_switch  "
                        "# comment")
    assert lines[0] == '"""Doc."""'


@pytest.mark.parametrize("source, where", [
    ("import os\nX = os.sep == '/'\n", "import _gremlins_switch; import os"),
    ("# comment\n\ndef f(a):\n    return a + 1\n", "import _gremlins_switch"),
    ("# comment\ndef f(a):\n    return a + 1\n", "import _gremlins_switch  # comment"),
    # (no default operator mutates `len("ab")`, so the line stays as written)
    ("def f(a):\n    return a + 1\nY = f(len(\"ab\"))\n", "import _gremlins_switch; Y = f(len(\"ab\"))"),
    ("def f(a):\n    return a + 1\n\nY = f(len(\"ab\"))\n", "import _gremlins_switch"),
    ("def f(a):\n    return a + 1\n", "import _gremlins_switch"),
])
def test_the_switch_import_goes_where_it_shifts_no_line(source, where):
    code, gremlins = assert_lines_kept(source)
    assert where in code.splitlines()
    module = run_module(code, stand_in_switch())
    assert module.f(1) == 2 if hasattr(module, "f") else True
    for g in gremlins:  # each mutant of f still switches on, also after import
        if g["static"]:  # `Y = f(1)` → `f(2)` acts at import, not on f
            continue
        switch = stand_in_switch()
        module = run_module(code, switch)
        switch.set_active(g["id"])
        if hasattr(module, "f"):
            assert module.f(1) != 2


def test_a_function_called_at_import_above_the_switch_import_works():
    source = "def f(a):\n    return a + 1\nclass C:\n    Y = f(1)\nZ = C.Y\n"
    code, _ = assert_lines_kept(source)
    assert "import _gremlins_switch; Z = C.Y" in code
    switch = stand_in_switch()
    import builtins
    builtins._gremlins_switch = switch  # what the generated switch module does
    try:
        assert run_module(code, switch).Z == 2
    finally:
        del builtins._gremlins_switch


def test_a_coding_cookie_becomes_utf8():
    source = "# -*- coding: latin-1 -*-\ndef f(a):\n    return a + 1\n"
    code, _ = instrumented(source)
    assert code.splitlines()[0] == "# -*- coding: utf-8 -*-"
    assert code.splitlines()[1:3] == source.splitlines()[1:2] + [code.splitlines()[2]]
    assert len(code.splitlines()) == 5  # the import on a new last line, then the trailer


PROBES = '''\
import warnings


def warn():
    warnings.warn("w")  # line 5
    return 1 + 1


def fail(x,
         y):
    if x > (
            y):
        raise ValueError(
            x - y)  # a statement of three lines: its first is 13
    return (x
            + y
            + undefined_name)  # NameError from line 17
'''


def frames(fn, *args):
    """(exception type, the lines of the traceback's frames in the module)."""
    try:
        fn(*args)
    except Exception as exc:
        lines = [f.lineno for f in traceback.extract_tb(exc.__traceback__)
                 if f.filename == "<under_test>"]
        return type(exc).__name__, lines
    return None, []


def test_exceptions_and_warnings_name_the_original_lines():
    code, gremlins = assert_lines_kept(PROBES)
    original = run_module(PROBES, stand_in_switch())
    copy = run_module(code, stand_in_switch())
    for module in (original, copy):
        with warnings.catch_warnings(record=True) as record:
            warnings.simplefilter("always")
            module.warn()
        assert [w.lineno for w in record] == [5]
    assert frames(original.fail, 3, 1) == frames(copy.fail, 3, 1) == ("ValueError", [13])
    assert frames(original.fail, 1, 3) == frames(copy.fail, 1, 3) == ("NameError", [17])
    for g in gremlins:  # with a gremlin on: the mutant's exception, in the same statement
        switch = stand_in_switch()  # (a mutated branch is written on its expression's first
        module = run_module(code, switch)  # line: 15 for the return statement of 15-17)
        switch.set_active(g["id"])
        for args in ((3, 1), (1, 3)):
            kind, lines = frames(module.fail, *args)
            assert lines in ([], [13], [15], [17]), (g, kind, lines)


# -- end to end: projects/line_numbers ---------------------------------------------------------

@pytest.fixture(scope="module")
def lines(tmp_path_factory):
    base = tmp_path_factory.mktemp("line-numbers")
    return ProjectRuns(copy_project("line_numbers", base), base)


@pytest.mark.parametrize("executor", ["fork", "inprocess", "subprocess"])
def test_line_number_project_verdicts_equal_the_whole_suite_cold_run(lines, executor):
    _, data = lines.cli(executor)
    assert data["pool"]["executor"] == executor
    expected = lines.expected()
    assert {"zapped", "survived"} <= set(expected.values()), expected
    assert verdicts(data) == expected


@pytest.mark.parametrize("executor", ["fork", "inprocess"])
def test_error_output_names_the_raising_line(lines, executor):
    _, data = lines.cli(executor)
    # x <= 0 to x > 0: check_positive(3) raises on line 17 of report.py
    [result] = [r for r in data["results"] if r["line"] == 16 and r["description"] == "<= to >"]
    assert result["status"] == "zapped"
    assert result["killing_test"] == "tests/test_report.py::test_traceback_names_the_raising_line"
    assert "report.py:17: ValueError: not positive: 3" in result["error_output"], result
