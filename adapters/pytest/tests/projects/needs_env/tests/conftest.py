import os

import pytest


def pytest_configure(config):
    # The project is meant to be tested with its environment set (gremlin-actors --env).
    if os.environ.get("GREMLIN_DEMO_MODE") != "on":
        raise pytest.UsageError("set GREMLIN_DEMO_MODE=on to test this project")
