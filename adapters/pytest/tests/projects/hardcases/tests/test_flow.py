import asyncio

from hard import accumulate, fetch, label, safe_div, truthy


def test_accumulate():
    assert accumulate([1, 2, 3]) == (6, 6)


def test_label():
    assert label(3) == "[   4|odd]"


def test_fetch():
    assert asyncio.run(fetch(4)) == 5


def test_safe_div():
    assert safe_div(6, 3) == 2
    assert safe_div(1, 0) is False


def test_truthy():
    assert truthy(1) is True


def test_shared():
    assert label(0) == "[   1|even]"
