from obs import limits
from obs.limits import EXPORTED


def test_attempts():
    assert limits.attempts() == [0, 1, 2]


def test_timeout():
    assert limits.TIMEOUT == 15


def test_padded():
    assert limits.PADDED == 16


def test_exported():
    assert EXPORTED == 6


def helper():
    return limits.HELPED


def test_helped():
    assert helper() == 7
