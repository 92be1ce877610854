import time

from slowpkg.half import half


def test_half():
    assert half(9) == 4


def test_slow():
    time.sleep(3)
