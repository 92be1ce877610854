"""A default argument, a decorator with an argument, a class body: all run at import."""
from __future__ import annotations

from .consts import LIMIT, RATIO


def registry(factor: int = 1):
    def wrap(fn):
        fn.factor = factor
        return fn
    return wrap


def clip(v: int, top: int = LIMIT - 1) -> int:
    if v < top:
        return v
    return top


@registry(factor=2 + 1)
def tripled(v: int) -> int:
    return v * tripled.factor


class Box:
    SIDE = RATIO - 2
    COLOR = "red" if RATIO > 0 else "blue"

    def area(self) -> int:
        return self.SIDE * self.SIDE
