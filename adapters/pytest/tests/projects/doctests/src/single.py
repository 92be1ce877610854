"""A top-level module of the src folder, with a doctest."""


def double(x):
    """Twice x.

    >>> double(4)
    8
    """
    return x * 2
