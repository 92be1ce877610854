from hard import Config, countdown, double, greet, in_range, kind, scaled_sum
from hard import shapes


def test_docstring_kept():
    assert shapes.__doc__.startswith("Module docstring")


def test_table():
    assert shapes.TABLE == [0, 3, 6, 9]


def test_scaled_sum():
    assert scaled_sum(2, 3) == 10


def test_double():
    assert double(4) == 8


def test_greet():
    assert greet("hi") == "hi!hi!"
    assert greet("a", loud=True) == "A!A!"


def test_in_range():
    assert in_range(0)
    assert in_range(9)
    assert not in_range(10)
    assert not in_range(-1)


def test_config():
    assert Config().check(11)
    assert not Config().check(10)


def test_kind():
    assert kind(0) == "zero"
    assert kind(101) == "big"
    assert kind([5, 3]) == 2
    assert kind("x") == "other"


def test_countdown():
    assert list(countdown(3)) == [3, 2, 1]


def test_shared():
    assert in_range(5)
