from envpkg import settings


def test_mode():
    assert settings.mode() == "on"


def test_limit():
    assert settings.limit() == 40


def test_within():
    assert settings.within(39)
    assert not settings.within(40)
