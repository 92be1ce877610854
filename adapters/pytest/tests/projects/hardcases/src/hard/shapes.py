"""Module docstring: must stay the module's __doc__ after instrumentation."""
from __future__ import annotations

import functools


def _build_table():
    # Called at import time only: its sites are static although they sit in a function.
    return [i * 3 for i in range(4)]


TABLE = _build_table()
THRESHOLD = 2 + 3


def scaled(factor):
    def decorate(fn):
        @functools.wraps(fn)
        def wrapper(*args):
            return fn(*args) * factor
        return wrapper
    return decorate


@scaled(1 + 1)
def scaled_sum(a: Unknown, b: AlsoUnknown) -> Nothing:
    return a + b


double = lambda x: x * 2


def greet(name, times=1 + 1, loud=False):
    text = (name + "!") * times
    return text.upper() if loud else text


def in_range(x, low=0, high=10):
    return low <= x < high


class Config:
    LIMIT = 5 * 2
    ENABLED = True

    def check(self, value):
        return self.ENABLED and value > self.LIMIT


def kind(value):
    match value:
        case 0:
            return "zero"
        case int(n) if n > 100:
            return "big"
        case [x, y]:
            return x - y
        case _:
            return "other"


def countdown(n):
    while n > 0:
        yield n
        n -= 1
