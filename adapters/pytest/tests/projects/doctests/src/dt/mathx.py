"""Small math helpers, tested by their doctests.

>>> mean([1, 2, 3])
2.0
"""


def mean(values):
    """The arithmetic mean.

    >>> mean([2, 4])
    3.0
    """
    return sum(values) / len(values)


def clamp(x, low, high):
    """x limited to [low, high].

    >>> clamp(-1, 0, 3)
    0
    """
    if x < low:
        return low
    if x > high:
        return high
    return x
