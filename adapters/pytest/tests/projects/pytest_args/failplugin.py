"""A plugin that fails every test: blocked with ``-p no:failplugin``."""


def pytest_runtest_call(item):
    raise RuntimeError("failplugin is loaded: pass -p no:failplugin")
