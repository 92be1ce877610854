"""Reports whose tests check line numbers, tracebacks and source text."""
import warnings

# A comment that inspect.getsource(module) must keep.


def ratio(part, whole):
    if whole == 0:
        # The test checks that the warning names line 10.
        warnings.warn("empty whole", RuntimeWarning)
        return 0.0
    return part / whole


def check_positive(x):
    if x <= 0:
        raise ValueError("not positive: %r" % (x,))  # line 17: named by the traceback
    return x


def describe(n):
    # a comment inside the function, line 22
    return "%d item%s" % (n, "" if n == 1 else "s")
