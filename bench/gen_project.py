#!/usr/bin/env python3
"""Writes a generated pytest project for the benchmarks (bench/pytest_bench.sh).

    gen_project.py DIR [--modules N] [--constants]

DIR/genlib/mod_K.py (flat layout, N modules of small pure functions: comparisons, arithmetic,
booleans, returns) and DIR/tests/test_mod_K.py (12 fast tests a module, a few of them weak on
purpose, so that some gremlins survive).  With the default N = 5: 60 tests and about 120
gremlins.  ``--constants`` adds import-time code to every module (module-level constants, a
computed default argument of a decorated function, a decorator argument, and a plain function
with literal defaults, which only its callers can observe), so that with the default operators
80 of the 265 gremlins are static (10 of them in those literal defaults), and three tests that
observe it.  The output depends only on the options, so every run benches
the same project.  Prints DIR.
"""

import argparse
import os
import sys

MODULE = '''\
"""Generated module {m}: small pure functions."""


def clamp(v):
    if v < {lo}:
        return {lo}
    if v > {hi}:
        return {hi}
    return v


def scale(a, b):
    return a * {k} + b


def both_positive(a, b):
    return a > 0 and b > 0


def mean(values):
    total = 0
    for v in values:
        total += v
    return total / len(values)
'''

TESTS = '''\
from genlib import mod_{m} as mod


def test_clamp_below():
    assert mod.clamp({lo} - 5) == {lo}


def test_clamp_above():
    assert mod.clamp({hi} + 5) == {hi}


def test_clamp_inside():
    assert mod.clamp({mid}) == {mid}


def test_clamp_low_edge():
    assert mod.clamp({lo}) == {lo}


def test_scale():
    assert mod.scale(2, 3) == 2 * {k} + 3


def test_scale_zero():
    assert mod.scale(0, 0) == 0


def test_both_positive():
    assert mod.both_positive(1, 2) is True


def test_first_negative():
    assert not mod.both_positive(-1, 2)


def test_second_negative():
    assert not mod.both_positive(1, -2)


def test_mean_three():
    assert mod.mean([1, 2, 3]) == 2


def test_mean_one():
    assert mod.mean([4]) == 4


def test_mean_is_number():
    assert mod.mean([2, 2]) is not None
'''

CONSTANTS = '''

SPAN = {hi} - {lo}
STEP = {k} * 2
BASE = {lo} + 1
HALF = SPAN // 2


def twice(fn):
    return fn


@twice
def shift(v, by=STEP + 1):
    return v + by


def pad(v, width=6, fill="0"):
    return str(v).rjust(width, fill)
'''

CONSTANT_TESTS = '''

def test_span():
    assert mod.SPAN == 50
    assert mod.BASE == {lo} + 1
    assert mod.HALF == 25


def test_shift():
    assert mod.shift(1) == 2 + 2 * {k}


def test_pad():
    assert mod.pad(7) == "000007"
'''

INI = """\
[pytest]
testpaths = tests
pythonpath = .
"""


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)


def generate(root, modules, constants=False):
    write(os.path.join(root, "pytest.ini"), INI)
    write(os.path.join(root, "genlib", "__init__.py"), '"""Generated library."""\n')
    write(os.path.join(root, "tests", "__init__.py"), "")
    for m in range(modules):
        values = {"m": m, "lo": m * 10, "hi": m * 10 + 50, "mid": m * 10 + 25, "k": m + 2}
        module, tests = MODULE.format(**values), TESTS.format(**values)
        if constants:
            module += CONSTANTS.format(**values)
            tests += CONSTANT_TESTS.format(**values)
        write(os.path.join(root, "genlib", "mod_%d.py" % m), module)
        write(os.path.join(root, "tests", "test_mod_%d.py" % m), tests)


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dir", help="folder to write the project into (created)")
    parser.add_argument("--modules", type=int, default=5, help="modules (12 tests each)")
    parser.add_argument("--constants", action="store_true",
                        help="import-time code in every module: 80 of 265 gremlins static")
    args = parser.parse_args(argv)
    if args.modules < 1:
        parser.error("--modules must be at least 1")
    generate(os.path.abspath(args.dir), args.modules, args.constants)
    print(os.path.abspath(args.dir))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
