def fast(x):
    return x + 1


def slow(x):
    return x * 2


def keyword(x):
    return x - 3


def other(x):
    return x + 4


def moded(x):
    return x * 5


def weak(x):
    return x > 0


def loose(x):
    return x * 1
