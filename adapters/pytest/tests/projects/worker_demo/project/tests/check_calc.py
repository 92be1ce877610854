import os
import sys

import pytest

import calc


@pytest.fixture(scope="module")
def config():
    return calc.make_config()


def test_instrumented_module_is_imported():
    assert getattr(calc, "INSTRUMENTED", False), calc.__file__


def test_add():
    assert calc.add(2, 3) == 5


def test_positive():
    assert calc.is_positive(5)
    assert not calc.is_positive(-1)


def test_countdown():
    assert calc.countdown(3) == 3


def test_mean():
    assert calc.mean([1, 2, 3]) == 2


def test_helper(tmp_path):
    assert calc.start_helper(os.environ.get("DEMO_SPAWN_PIDFILE", str(tmp_path / "pid"))) is None


def test_config(config):
    assert config == {"debug": False}


def test_config_again(config):
    assert not config["debug"]
