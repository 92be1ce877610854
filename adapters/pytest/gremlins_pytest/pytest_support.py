"""What the baseline, the cold runner and ``prepare`` share on the pytest side: the ``--``
split of the command line, importing the switch from the instrumented tree, and pytest plugins
that select tests and watch results."""

import importlib
import sys

from .protocol import OUTPUT_LIMIT
from .switch import MODULE_NAME as SWITCH_MODULE


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


class Outcomes:
    """pytest plugin: the first failing test and whether collection failed."""

    def __init__(self):
        self.killing_test = None
        self.output = ""
        self.collection_errors = 0

    def pytest_collectreport(self, report):
        if report.failed:
            self.collection_errors += 1
            if not self.output:
                self.output = str(report.longrepr)[-OUTPUT_LIMIT:]

    def pytest_runtest_logreport(self, report):
        if report.failed and self.killing_test is None:
            self.killing_test = report.nodeid
            self.output = str(report.longrepr)[-OUTPUT_LIMIT:]
