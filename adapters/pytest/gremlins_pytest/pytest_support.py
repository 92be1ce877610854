"""What the baseline, the cold runner, the warm worker and ``prepare`` share on the pytest side:
the ``--`` split of the command line, importing the switch from the instrumented tree, the
arguments and environment that keep coverage tools out of mutation runs, and a pytest plugin
that selects tests.

This module is also a pytest plugin (``-p gremlins_pytest.pytest_support``, among
NO_COVERAGE_ARGS): it declares pytest-cov's options, marker and fixtures, inert, so that a
project's ``--cov`` options (in ``addopts``, say) still parse and its tests still run while the
real plugin is blocked by ``-p no:cov``.
"""

import importlib
import importlib.util
import sys

from .switch import MODULE_NAME as SWITCH_MODULE

#: pytest arguments for every run gremlins_pytest starts (baseline, isolation check, warm
#: worker through run.json, cold runs): pytest-cov is blocked (it would start coverage in the
#: baseline, in the worker and again in every forked child, and parallel cold runs would share
#: the project's .coverage file), and its options are declared by this module instead, inert.
NO_COVERAGE_ARGS = ["-p", "no:cov", "-p", __name__]

#: Environment for the same runs: coverage.py's process start-up hook
#: (COVERAGE_PROCESS_START) and pytest-cov's subprocess hook (COV_CORE_*) do nothing when their
#: variable is empty.  (A process spec can only set variables, not remove them; empty values
#: are what both tools treat as absent.)
NO_COVERAGE_ENV = {"COVERAGE_PROCESS_START": "", "COV_CORE_SOURCE": "",
                   "COV_CORE_CONFIG": "", "COV_CORE_DATAFILE": ""}


def in_process_args(user_args):
    """Arguments that keep pytest-xdist from sending the tests to other processes (``-n N``,
    also from a project's ``addopts``): the baseline's coverage would see no test, a warm
    worker would run none itself.  gremlin-actors runs gremlins in parallel instead.  Nothing
    when xdist is not installed, or the user blocked it (``-p no:xdist``)."""
    try:
        installed = importlib.util.find_spec("xdist") is not None
    except (ImportError, ValueError):
        installed = False
    if not installed or any(a.endswith("no:xdist") for a in user_args):
        return []
    # -p xdist loads it through its entry point (named xdist) even with autoload off, and
    # never twice; the last -n wins over the project's addopts.
    return ["-p", "xdist", "-n", "0"]


def pytest_addoption(parser):
    """pytest-cov's own options, declared by its own function but without its plugin: they
    parse and do nothing.  Nothing when pytest-cov is not installed, or when its options are
    declared already (the plugin was registered before it was blocked)."""
    try:
        from pytest_cov import plugin as cov_plugin
    except Exception:  # not installed, or broken: then there are no --cov options to accept
        return
    try:
        cov_plugin.pytest_addoption(parser)
    except ValueError:  # "option names already added": the real plugin declared them
        pass


def pytest_configure(config):
    """pytest-cov's marker and fixtures, inert, so that projects using them (with
    ``--strict-markers``, say) still collect and run while the plugin is blocked."""
    try:
        installed = importlib.util.find_spec("pytest_cov") is not None
    except (ImportError, ValueError):
        installed = False
    if installed:
        config.addinivalue_line("markers", "no_cover: disable coverage for this test.")
        config.pluginmanager.register(_inert_cov_fixtures(), "gremlins-inert-cov-fixtures")


def _inert_cov_fixtures():
    import pytest

    class InertCovFixtures:
        @pytest.fixture
        def no_cover(self):
            """pytest-cov's fixture: coverage is off anyway."""

        @pytest.fixture
        def cov(self):
            """pytest-cov's fixture: None, as when coverage is not active."""
            return None

    return InertCovFixtures()


def parse_with_extra(parser, argv):
    """Parses argv with `parser`; what follows a `--` becomes args.pytest_args."""
    if "--" in argv:
        cut = argv.index("--")
        argv, extra = argv[:cut], argv[cut + 1:]
    else:
        extra = []
    args = parser.parse_args(argv)
    args.pytest_args = extra
    return args


def import_switch(instrumented_dir):
    """Put the instrumented tree first on sys.path and import the switch module (which also
    installs the finder that keeps the instrumented modules winning)."""
    if instrumented_dir not in sys.path:
        sys.path.insert(0, instrumented_dir)
    return importlib.import_module(SWITCH_MODULE)


class SelectTests:
    """pytest plugin: keep only the given node ids, in the given order."""

    def __init__(self, nodeids):
        self.order = {}
        for nodeid in nodeids:
            self.order.setdefault(nodeid, len(self.order))

    def pytest_collection_modifyitems(self, session, config, items):
        selected = sorted((i for i in items if i.nodeid in self.order),
                          key=lambda i: self.order[i.nodeid])
        deselected = [i for i in items if i.nodeid not in self.order]
        if deselected:
            config.hook.pytest_deselected(items=deselected)
        items[:] = selected
