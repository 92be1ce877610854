# Loaded by pytest before collection (an "initial" conftest): an exception here makes pytest
# stop with "ImportError while loading conftest" (exit code 4).
import pytest

from brokenpkg import config

PORT = config.checked_port(8080)


@pytest.fixture
def port():
    return PORT
