"""The worker's diagnostics: one line each on stderr, never on the protocol descriptors."""

import sys


def log(message):
    """One diagnostic line on stderr (never on the protocol descriptors)."""
    try:
        sys.stderr.write("gremlins worker: %s\n" % message)
        sys.stderr.flush()
    except (OSError, ValueError):
        pass
