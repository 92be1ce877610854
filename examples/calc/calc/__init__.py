"""calc: a small calculator library, the example project of gremlin-actors.

Its test suite (tests/) is real but has a few deliberate gaps, so that some gremlins survive.
"""
from calc.arith import add, clamp, divide, is_even, multiply, power, sign, subtract
from calc.stats import mean, median, running_total, variance

__all__ = ["add", "clamp", "divide", "is_even", "multiply", "power", "sign", "subtract",
           "mean", "median", "running_total", "variance"]
