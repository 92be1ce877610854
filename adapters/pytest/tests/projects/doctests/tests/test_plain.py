from dt import clamp


def test_clamp_inside():
    assert clamp(2, 0, 3) == 2
