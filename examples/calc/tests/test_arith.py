import pytest

from calc import add, clamp, divide, is_even, multiply, power, sign, subtract


def test_add():
    assert add(2, 3) == 5


def test_add_negative():
    assert add(-2, -3) == -5


def test_subtract():
    assert subtract(10, 4) == 6


def test_multiply():
    assert multiply(3, 4) == 12


def test_divide():
    assert divide(9, 3) == 3


def test_divide_by_zero():
    with pytest.raises(ZeroDivisionError):
        divide(1, 0)


def test_power():
    assert power(2, 3) == 8


def test_clamp_inside():
    assert clamp(5, 0, 10) == 5


def test_clamp_below():
    assert clamp(-5, 0, 10) == 0


def test_clamp_above():
    assert clamp(15, 0, 10) == 10


def test_clamp_empty_range():
    with pytest.raises(ValueError):
        clamp(1, 5, 0)


def test_is_even():
    assert is_even(4)
    assert not is_even(7)


def test_sign_positive():
    assert sign(7) == 1


def test_sign_negative():
    assert sign(-7) == -1
