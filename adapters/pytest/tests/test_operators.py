"""The operators added after the first release: each one's labels, its mutants (the
instrumented code with a gremlin active behaves like the text mutant), what it leaves alone,
and that the ids of the first five families did not change (tests/legacy_ids.json: the ids,
spans and texts the instrumenter gave examples/calc and the hard cases before these operators
existed)."""

import json
import subprocess
import sys
import textwrap

import pytest

from adapter_support import ADAPTER_DIR, REPO, outcome
from gremlins_pytest import instrument, operators
from test_instrument import check_every_gremlin, instrumented


def probe_f(*inputs):
    return lambda m: [outcome(m.f, *args) for args in inputs]


def descriptions(source, family):
    return [g["description"] for g in instrumented(source, [family])[1]]


def mutant(source, family, n=0):
    """The instrumented code of source with only ``family`` (its n-th gremlin's id)."""
    code, gremlins = instrumented(source, [family])
    return code, gremlins[n]


# -- number -----------------------------------------------------------------------------------

NUMBERS = """\
LIMIT = 10
def f(base):
    cap = base * 10
    half = base * 0.5
    start = 0
    neg = -1
    big = 0xff
    return cap, half, start, neg, big, base < 3, LIMIT
"""


def test_number_operator():
    assert descriptions(NUMBERS, "number") == [
        "10 to 11", "10 to 11", "0.5 to 1.5", "0 to 1", "-1 to 0", "0xff to 256", "3 to 4"]
    code, g = mutant(NUMBERS, "number", 1)
    assert (g["line"], g["original"], g["replacement"]) == (3, "10", "11")
    assert g["id"] == "m_py_n002" and g["operator"] == "number"
    gremlins, changed = check_every_gremlin(NUMBERS, probe_f((2,), (3,)), ["number"], warm=True)
    assert changed == len(gremlins)
    static = {g["line"]: g["static"] for g in gremlins}
    assert static[1] is True and static[3] is False


def test_number_skips_floats_that_plus_one_does_not_change():
    assert descriptions("X = 1e300\nY = 2.5e15\n", "number") == ["2.5e15 to 2500000000000001.0"]


def test_number_leaves_boundary_operands_to_boundary():
    source = "def f(x):\n    return x < 10, x * 10\n"
    both = instrumented(source, ["boundary", "number"])[1]
    assert [g["description"] for g in both] == ["boundary 10 to 11", "boundary 10 to 9",
                                                "10 to 11"]
    assert both[2]["column"] == 24  # the 10 of x * 10
    # without boundary, the comparison's operand is a number site too
    assert len(instrumented(source, ["number"])[1]) == 2


def test_slices_and_indexes_are_mutated():
    # n -> n + 1 of a bound, a step or an index is never an equivalent mutant in general: it
    # drops or adds an element (the off-by-one a slice invites).
    source = "def f(s):\n    return s[1:], s[:-1], s[::2], s[0]\n"
    assert descriptions(source, "number") == ["1 to 2", "-1 to 0", "2 to 3", "0 to 1"]
    gremlins, changed = check_every_gremlin(source, probe_f(("abcdef",), ("",)), ["number"])
    assert changed == len(gremlins)


# -- identity, membership ---------------------------------------------------------------------

COMPARES = """\
def f(a, b):
    return [a is b, a is not b, a in b, a not in b, a is   not  None]
"""


def test_identity_operator():
    assert descriptions(COMPARES, "identity") == ["is to is not", "is not to is", "is not to is"]
    gremlins = instrumented(COMPARES, ["identity"])[1]
    assert gremlins[2]["original"] == "is   not" and gremlins[2]["replacement"] == "is"
    gremlins, changed = check_every_gremlin(COMPARES, probe_f((1, [1]), (None, None)),
                                            ["identity"], warm=True)
    assert changed == len(gremlins)


def test_membership_operator():
    assert descriptions(COMPARES, "membership") == ["in to not in", "not in to in"]
    gremlins, changed = check_every_gremlin(COMPARES, probe_f((1, [1]), (2, [1])),
                                            ["membership"], warm=True)
    assert changed == len(gremlins)


# -- unary, bool_literal ----------------------------------------------------------------------

UNARIES = """\
def f(a, b):
    return [not a, -a, ~a, +a, -(a + b), not (a or b), a - -b, -5]
"""


def test_unary_operator():
    # in id order: not x was a boolean site and keeps its _gNNN id
    assert descriptions(UNARIES, "unary") == [
        "not a to a", "not (a or b) to (a or b)", "-a to a", "~a to a", "-(a + b) to (a + b)",
        "-b to b"]  # -5 is a number, +a is left alone (equivalent on numbers)
    gremlins = instrumented(UNARIES, ["unary"])[1]
    assert [g["id"][-4:] for g in gremlins] == ["g001", "g002", "u001", "u002", "u003", "u004"]
    gremlins, changed = check_every_gremlin(UNARIES, probe_f((1, 2), (0, 0), (-3, 1)),
                                            ["unary"], warm=True)
    assert changed == len(gremlins)


def test_bool_literal_operator():
    source = "def f(x):\n    flag = True\n    return flag and x, False, f'{True}'\n"
    assert descriptions(source, "bool_literal") == ["True to False", "False to True",
                                                    "True to False"]
    gremlins, changed = check_every_gremlin(source, probe_f((1,), (0,)), ["bool_literal"])
    assert changed == len(gremlins)


# -- loop_control -----------------------------------------------------------------------------

LOOPS = """\
def f(items):
    out = []
    for x in items:
        out.append(x)
        if x > 2:
            break
    for x in items:
        if x % 2:
            out.append(-x)
            continue  # odd
        else:
            out.append(x * 10)
            continue
    while items:
        items = items[1:]
        if len(items) == 2: break
        if items and items[0] == 4:
            break
        out.append(len(items))
    return out
"""


def test_loop_control_operator():
    code, gremlins = instrumented(LOOPS, ["loop_control"])
    # the one-line "if ...: break" and the break not at the body's end are left alone
    assert [(g["line"], g["description"]) for g in gremlins] == [
        (6, "break to continue"), (10, "continue to break"), (13, "continue to break")]
    assert gremlins[0]["original"] == "break" and gremlins[0]["replacement"] == "continue"
    assert "if _gremlins_switch.active != 'm_py_l001': break" in code.splitlines()[5]
    gremlins, changed = check_every_gremlin(
        LOOPS, probe_f(([1, 2, 3, 4],), ([5, 4, 1, 6],), ([],)), ["loop_control"], warm=True)
    assert changed == len(gremlins)


# -- aug_assign -------------------------------------------------------------------------------

def test_aug_assign_operator():
    source = textwrap.dedent("""\
        class Box:
            v = 3
        def f(a, b):
            t = a
            t += b
            t |= 8
            box = Box()
            box.v *= b
            d = {"k": 5}
            d["k"] -= b
            return t, box.v, d
        """)
    assert descriptions(source, "aug_assign") == ["+= to =", "|= to =", "*= to =", "-= to ="]
    gremlins, changed = check_every_gremlin(source, probe_f((1, 2), (4, 0)), ["aug_assign"],
                                            warm=True)
    assert changed == len(gremlins)
    # with arithmetic too: +=, -= and = at one site, the arithmetic ids first as before
    both = instrumented(source, ["arithmetic", "aug_assign"])[1]
    assert sorted(g["id"][-4:] for g in both if g["line"] == 5) == ["a001", "g001"]
    check_every_gremlin(source, probe_f((1, 2)), ["arithmetic", "aug_assign"], warm=True)


# -- condition --------------------------------------------------------------------------------

CONDITIONS = """\
def f(x, y):
    out = []
    if x > y:
        out.append("gt")
    elif x:
        out.append("x")
    n = 0
    while n < 3 and y:
        n += 1
        if n > 5:
            break
    if x == y or not x:
        out.append("eq")
    if not y:
        out.append("not y")
    if x == y:
        out.append("same")
    while True:
        break
    return out, n, "big" if x > 5 else "small"
"""


def test_condition_operator():
    assert descriptions(CONDITIONS, "condition") == [
        "if x > y to if not (x > y)", "elif x to elif not x",
        "while n < 3 and y to while not (n < 3 and y)", "if n > 5 to if not (n > 5)",
        "if x == y or not x to if not (x == y or not x)",
        "if x == y to if not (x == y)",
        "... if x > 5 else ... to ... if not (x > 5) else ..."]
    # "if not y" (the unary operator's), "while True" (a constant) are left alone; with the
    # comparison operator, "if x == y" is too (its mutant is x != y)
    both = instrumented(CONDITIONS, ["comparison", "condition"])[1]
    assert [g["line"] for g in both if g["operator"] == "condition"] == [3, 5, 8, 10, 12, 20]
    gremlins, changed = check_every_gremlin(CONDITIONS, probe_f((1, 2), (7, 1), (0, 0), (3, 3)),
                                            ["condition"], warm=True)
    assert changed == len(gremlins)


# -- default ----------------------------------------------------------------------------------

DEFAULTS = """\
def f(n=10, *, sep=",", scale=-0.5, flag=True, name=None):
    def inner(k=2):
        return k
    return n, sep, scale, flag, name, inner()
g = lambda x=3: x
"""


def test_default_operator():
    assert descriptions(DEFAULTS, "default") == [
        "default 10 to 11", "default \",\" to 'XX,XX'", "default -0.5 to 0.5",
        "default 2 to 3", "default 3 to 4"]
    code, gremlins = instrumented(DEFAULTS, ["default"])
    # a module-level def evaluates its defaults at import: static; a nested def's run per call
    assert [g["static"] for g in gremlins] == [True, True, True, False, True]
    # the number and string operators leave defaults to it; True stays bool_literal's
    assert instrumented(DEFAULTS, ["number", "string"])[1] == []
    assert descriptions(DEFAULTS, "bool_literal") == ["True to False"]
    probe = lambda m: [outcome(m.f), outcome(m.f, 1), outcome(m.g)]
    gremlins, changed = check_every_gremlin(DEFAULTS, probe, ["default"], warm=True)
    assert changed == len(gremlins)


# -- string, call (opt-in) --------------------------------------------------------------------

STRINGS = '''\
"""Module docstring."""
from __future__ import annotations
__all__ = ["f", "NAME"]
NAME = 'abc'
def f(x: "Annotated" = None) -> "str":
    """Function docstring."""
    "a string statement"
    label: str = "lbl"
    return NAME + label + f"<{x}>" + "d" "e"
'''


def test_string_operator():
    assert descriptions(STRINGS, "string") == [
        "'abc' to 'XXabcXX'", '"lbl" to \'XXlblXX\'', '"d" "e" to \'XXdeXX\'''']
    code, gremlins = instrumented(STRINGS, ["string"])
    assert gremlins[2]["replacement"] == "'XXdeXX'"
    probe = lambda m: [outcome(m.f, 1), outcome(lambda: (m.__doc__, m.f.__doc__, m.__all__))]
    gremlins, changed = check_every_gremlin(STRINGS, probe, ["string"])
    assert changed == len(gremlins)


def test_call_operator():
    source = textwrap.dedent("""\
        def f(log):
            log.append(1)
            log.extend(
                [2, 3])
            x = len(log)
            print
            return x, list(log)
        """)
    assert descriptions(source, "call") == ["log.append(1) to None",
                                            "log.extend( [2, 3]) to None"]
    gremlins, changed = check_every_gremlin(source, lambda m: [outcome(m.f, [])], ["call"],
                                            warm=True)
    assert changed == len(gremlins)


def test_string_and_call_are_opt_in():
    assert "string" in operators.OPERATORS and "call" in operators.OPERATORS
    sites = instrumented(STRINGS + "f(1)\n", operators.DEFAULT)[1]
    assert {g["operator"] for g in sites} <= set(operators.DEFAULT)
    assert not [g for g in sites if g["operator"] in ("string", "call")]


# -- labels, ids ------------------------------------------------------------------------------

def test_return_labels_name_the_returned_expression():
    source = "def f(x):\n    return 0\ndef g(x):\n    return compute(x, " + "y" * 50 + ")\n"
    labels = descriptions(source, "return")
    assert labels[0] == "return 0 to return None"
    assert labels[1].startswith("return compute(x, yyy") and labels[1].endswith("... to return None")
    assert len(labels[1]) <= len("return  to return None") + 40


def test_ids_of_the_first_five_families_did_not_change():
    legacy = json.loads((ADAPTER_DIR / "tests" / "legacy_ids.json").read_text())
    renamed = {"boolean": ("boolean", "unary", "bool_literal")}
    for relpath, expected in legacy.items():
        source = (REPO / relpath).read_text()
        sites = {s.id: s for s in instrument.instrument_source(source, relpath,
                                                               operators.DEFAULT).sites}
        for gid, operator, line, column, end_line, end_column, original, replacement in expected:
            site = sites[gid]
            assert (site.line, site.column, site.end_line, site.end_column, site.original,
                    site.replacement) == (line, column, end_line, end_column, original,
                                          replacement), gid
            assert site.operator in renamed.get(operator, (operator,)), gid
        # and the newer families added sites of their own
        assert len(sites) >= len(expected)
    assert sum(len(v) for v in legacy.values()) == 125


def test_list_operators_command():
    proc = subprocess.run([sys.executable, "-m", "gremlins_pytest", "list-operators"],
                          cwd=str(ADAPTER_DIR), capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert [line.split()[0] for line in lines[:-1]] == list(operators.OPERATORS)
    assert all(line.split()[1] == ("opt-in" if line.split()[0] in ("string", "call")
                                   else "default") for line in lines[:-1])
    assert "number" in proc.stdout and "10 -> 11" in proc.stdout
    assert lines[-1] == "default set: " + ",".join(operators.DEFAULT)
    bad = subprocess.run([sys.executable, "-m", "gremlins_pytest", "list-operators", "x"],
                         cwd=str(ADAPTER_DIR), capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "'x'" in bad.stderr


def test_cli_list_operators_runs_the_adapters_listing():
    from adapter_support import clean_env, gremlin_actors_bin
    proc = subprocess.run([gremlin_actors_bin(), "list-operators", "--pytest", "--python",
                           sys.executable], capture_output=True, text=True, timeout=60,
                          env=clean_env(), stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == operators.listing()
    refused = subprocess.run([gremlin_actors_bin(), "list-operators"], capture_output=True,
                             text=True, timeout=60, env=clean_env(), stdin=subprocess.DEVNULL)
    assert refused.returncode == 2 and "--pytest" in refused.stderr and not refused.stdout
    missing = subprocess.run([gremlin_actors_bin(), "list-operators", "--pytest", "--python",
                              "/nonexistent/python3"], capture_output=True, text=True,
                             timeout=60, env=clean_env(), stdin=subprocess.DEVNULL)
    assert missing.returncode == 2 and "/nonexistent/python3" in missing.stderr
