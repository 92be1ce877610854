"""At least one site of every operator, and two deliberate test gaps: the cap of limited()
is never reached by the tests (only a number mutation of 10 shows it), and shout()'s
punctuation is never checked."""

RETRIES = 3


def limited(value, base):
    cap = base * 10
    return min(value, cap)


def scale(x, factor=2):
    return x * factor


def join(items, sep=","):
    return sep.join(items)


def find(items, target):
    if target is None:
        return -1
    if target not in items:
        return -2
    return items.index(target)


def first_even(items):
    found = None
    for x in items:
        found = x
        if x % 2 == 0:
            break
    return found


def non_negative(items):
    out = []
    for x in items:
        if x >= 0:
            out.append(x)
        else:
            continue
    return out


def signs(x, flag):
    return -x if flag else ~x


def invert(flag):
    return not flag


def settings():
    return {"verbose": False, "retries": RETRIES}


def total(items):
    acc = 0
    for x in items:
        acc += x
    return acc


def countdown(n):
    steps = []
    while n > 0 and len(steps) < 10:  # bounded: n -= 1 -> n = 1 must not run forever
        steps.append(n)
        n -= 1
    return steps


def shout(word):
    return word.upper() + "!"


def record(log, x):
    log.append(x)
    return len(log)
