"""The mode and the limits it implies."""

import os


def mode():
    return os.environ.get("GREMLIN_DEMO_MODE", "off")


def limit():
    if mode() == "on":
        return 10 * 4
    return 0


def within(value):
    return 0 <= value and value < limit()
