"""The conftest imports the code under test and computes from it at import time."""
import pytest

from pkg import consts

EXPECTED_TOP = consts.LIMIT - 1


@pytest.fixture
def top():
    return EXPECTED_TOP
