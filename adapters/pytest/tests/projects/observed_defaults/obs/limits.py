"""Module constants: who can see them."""

RETRIES = 3  # read by a function of this module: its callers
TIMEOUT = 10 + 5  # read by a test as limits.TIMEOUT: that test
WIDTH = 8  # read at module level below: every test
PADDED = WIDTH * 2
QUIET = 4  # read by nobody: no test can see it
EXPORTED = 6  # imported by name (from obs.limits import EXPORTED): every test
HELPED = 7  # read by a helper of the tests: every test


def attempts():
    return list(range(RETRIES))
