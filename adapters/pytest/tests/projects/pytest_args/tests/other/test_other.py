from pkg import core


def test_other():
    assert core.other(1) == 5
