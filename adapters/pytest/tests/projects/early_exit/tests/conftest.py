import pytest

from exitpkg import shutdown

BOOTED = shutdown.boot(0)


@pytest.fixture
def booted():
    return BOOTED
