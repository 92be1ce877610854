"""Imports: the instrumented sources win over the project's own.

The instrumented dir (and its ``src/``, when that exists, in front of it) goes first on
``sys.path`` before pytest imports anything, and a ``sys.meta_path`` finder keeps the
instrumented top-level modules winning even when pytest later puts the project's own folders
in front (rootdir insertion, the ``pythonpath`` ini option): the one the instrumenter's switch
module installs when imported, or else the worker's own InstrumentedFirst.
"""

import importlib
import importlib.machinery
import os
import sys

from ..switch import MODULE_NAME as SWITCH_MODULE

NOT_INSTRUMENTED = {"conftest", "test", "tests", "setup", "__pycache__"}


class InstrumentedFirst:
    """sys.meta_path finder: a top-level module present in the instrumented dirs is always
    imported from there, whatever pytest puts in front of sys.path later."""

    def __init__(self, dirs):
        self.dirs = dirs
        self.names = set()
        for d in dirs:
            for entry in os.listdir(d):
                name = module_name(d, entry)
                if name and name not in NOT_INSTRUMENTED and not name.startswith("test_"):
                    self.names.add(name)

    def find_spec(self, fullname, path=None, target=None):
        if path is not None or fullname not in self.names:
            return None
        return importlib.machinery.PathFinder.find_spec(fullname, self.dirs)


def module_name(folder, entry):
    """The importable top-level name for a folder entry, or None."""
    if entry.endswith(".py"):
        return entry[:-3]
    if os.path.isfile(os.path.join(folder, entry, "__init__.py")):
        return entry
    return None


def put_instrumented_first(inst):
    """The instrumented dirs first on sys.path; then the switch module is imported (before
    pytest imports anything): when it installs its own sys.meta_path finder (the instrumenter's
    does), that finder keeps the instrumented modules first, else ours does."""
    dirs = [inst]
    if os.path.isdir(os.path.join(inst, "src")):
        dirs.insert(0, os.path.join(inst, "src"))
    for d in reversed(dirs):
        sys.path.insert(0, d)
    os.environ["GREMLIN_INSTRUMENTED_DIR"] = inst
    finders = len(sys.meta_path)
    try:
        importlib.import_module(SWITCH_MODULE)
    except ImportError:
        pass
    if len(sys.meta_path) == finders:
        sys.meta_path.insert(0, InstrumentedFirst(dirs))
