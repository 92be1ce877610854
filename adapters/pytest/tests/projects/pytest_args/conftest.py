# Every test fails while this plugin is loaded: the runs pass only with `-p no:failplugin`.
pytest_plugins = ["failplugin"]


def pytest_addoption(parser):
    parser.addini("demo_mode", "on: test_moded runs and test_weak is strict", default="off")
