"""Ways out of the process."""

import os
import sys


def exit_on_failure(status):
    """Ends the process at once (no clean-up) when ``status`` is a failure."""
    if status != 0:
        os._exit(status)
    return "continued"


def stop_when_done(remaining):
    """Leaves through SystemExit when nothing remains."""
    if remaining <= 0:
        sys.exit(0)
    return remaining


def boot(status):
    """Called by conftest.py while pytest loads it."""
    if status != 0:
        sys.exit(status)
    return True


def add(a, b):
    return a + b
