import pytest

from obs import settings


@pytest.fixture(scope="module")
def config():
    return settings.load()


def test_name(config):
    assert config["name"] == "service"


def test_retries(config):
    assert config["retries"] == 3


def test_squares_exist():
    assert len(settings.squares()) == 5


def test_squares_values():
    assert settings.squares()[2] == 4
