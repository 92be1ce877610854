from opsdemo.core import (countdown, find, first_even, invert, join, limited, non_negative,
                          record, scale, settings, shout, signs, total)


def test_limited():
    assert limited(5, 2) == 5  # the cap (20) is never reached: a number gremlin survives


def test_scale():
    assert scale(3) == 6
    assert scale(3, 3) == 9


def test_join():
    assert join(["a", "b"]) == "a,b"


def test_find():
    assert find([1, 2, 3], 2) == 1
    assert find([1, 2], None) == -1
    assert find([1, 2], 5) == -2


def test_first_even():
    assert first_even([1, 4, 5]) == 4


def test_non_negative():
    assert non_negative([-1, 2, -3, 4]) == [2, 4]


def test_signs():
    assert signs(3, True) == -3
    assert signs(3, False) == -4


def test_invert():
    assert invert(False) is True


def test_settings():
    assert settings() == {"verbose": False, "retries": 3}


def test_total():
    assert total([1, 2, 3]) == 6


def test_countdown():
    assert countdown(3) == [3, 2, 1]
    assert countdown(30) == list(range(30, 20, -1))


def test_shout():
    assert shout("hi").startswith("HI")  # the "!" is never checked: a string gremlin survives


def test_record():
    log = []
    assert record(log, 7) == 1 and log == [7]
