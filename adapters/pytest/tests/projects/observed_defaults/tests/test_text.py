from obs.text import Banner, greet


def test_greet():
    assert greet("ann") == "hello, ann!"


def test_greet_explicit():
    assert greet("bob", "hi", punctuation="?") == "hi, bob?"


def test_banner():
    assert Banner("ab").render() == "*****ab*****"


def test_unrelated():
    assert "x".upper() == "X"
