"""A registry kept in module state."""

_items = {}
_count = [0]


def reset():
    _items.clear()
    _count[0] = 0


def register(name, value):
    _items[name] = value
    _count[0] = _count[0] + 1


def count():
    return _count[0]


def lookup(name):
    return _items[name]


def describe(name, width=0):
    text = "%s=%s" % (name, lookup(name))
    if width > len(text):
        text = text.rjust(width)
    return text


def double(x):
    return x * 2
