from pkg import api, consts


def test_clip_default(top):
    assert api.clip(100) == top
    assert top == 14


def test_clip_inside():
    assert api.clip(3) == 3


def test_tripled():
    assert api.tripled(2) == 6


def test_box_area():
    assert api.Box().area() == 16


def test_ratio():
    assert consts.RATIO == 6


def test_flags_exist():
    assert "strict" in consts.FLAGS
