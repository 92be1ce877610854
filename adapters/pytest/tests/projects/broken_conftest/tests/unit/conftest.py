# Loaded while pytest collects tests/unit/: an exception here is a collection error.
import pytest

from brokenpkg import config

DEBUG = config.level_number("debug")


@pytest.fixture
def debug_level():
    return DEBUG
