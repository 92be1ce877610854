"""Descriptive statistics over sequences of numbers."""


def mean(values):
    if not values:
        raise ValueError("mean of nothing")
    return sum(values) / len(values)


def median(values):
    ordered = sorted(values)
    n = len(ordered)
    if n == 0:
        raise ValueError("median of nothing")
    middle = n // 2
    if n % 2 == 1:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def variance(values, sample=False):
    """Population variance, or the sample variance (n - 1 in the denominator)."""
    m = mean(values)
    total = 0.0
    for v in values:
        total += (v - m) ** 2
    denominator = len(values) - 1 if sample else len(values)
    return total / denominator


def running_total(values):
    """Yields the cumulative sums of values."""
    total = 0
    for v in values:
        total += v
        yield total
