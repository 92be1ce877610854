import pytest

from pkg import core


def test_fast():
    assert core.fast(1) == 2


@pytest.mark.slow
def test_slow():
    assert core.slow(3) == 6


def test_keyword_only():
    assert core.keyword(5) == 2


def test_moded(pytestconfig):
    if pytestconfig.getini("demo_mode") != "on":
        pytest.skip("demo_mode is off")
    assert core.moded(2) == 10


def test_weak(pytestconfig):
    assert core.weak(5)
    if pytestconfig.getini("demo_mode") == "on":
        assert not core.weak(0)


def test_loose():
    assert core.loose(4) == 4
