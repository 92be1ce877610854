"""Starts, when pytest imports it, a thread that owns LOCK and lends it to one test at a time
(as some plugins and test helpers do with a shared resource)."""
import threading

import pytest

LOCK = threading.Lock()
_wanted = threading.Event()
_returned = threading.Event()


def _keeper():
    LOCK.acquire()
    while True:
        _wanted.wait()
        _wanted.clear()
        LOCK.release()
        _returned.wait()
        _returned.clear()
        LOCK.acquire()


threading.Thread(target=_keeper, name="lock-keeper", daemon=True).start()


@pytest.fixture
def resource():
    """The shared resource, lent by the keeper thread for the test's duration."""
    _wanted.set()
    with LOCK:
        yield
    _returned.set()
