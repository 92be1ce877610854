import pytest

from covpkg import money


def test_with_tax():
    assert money.with_tax(1000, 20) == 1200


def test_discount():
    assert money.discount(1000, 25) == 750


def test_discount_range():
    with pytest.raises(ValueError):
        money.discount(1000, 101)


def test_cheapest():
    assert money.cheapest([30, 10, 20]) == 10


def test_is_free():
    assert money.is_free(0)
    assert not money.is_free(1)


@pytest.mark.no_cover
def test_is_free_without_coverage(no_cover, cov):
    # pytest-cov's marker and fixtures: they must keep working when mutation runs block it.
    assert not money.is_free(5)
