"""Shared helpers of the adapter's tests: run instrumented source in-process against a fake
switch, build the mutated source of a gremlin by plain text replacement (the oracle)."""

import asyncio
import inspect
import itertools
import sys
import types
from pathlib import Path

HERE = Path(__file__).resolve().parent
ADAPTER_DIR = HERE.parent
REPO = ADAPTER_DIR.parent.parent
HARDCASES = HERE / "projects" / "hardcases"
CALC = REPO / "examples" / "calc"

if str(ADAPTER_DIR) not in sys.path:
    sys.path.insert(0, str(ADAPTER_DIR))


def fake_switch(active=None):
    module = types.ModuleType("_gremlins_switch")
    module.active = active

    def set_active(gremlin_id):
        module.active = gremlin_id or None

    module.set_active = set_active
    return module


def run_module(code, switch, name="under_test"):
    """Executes module source with ``switch`` as _gremlins_switch; returns the module."""
    saved = sys.modules.get("_gremlins_switch")
    sys.modules["_gremlins_switch"] = switch
    try:
        module = types.ModuleType(name)
        module.__file__ = "<%s>" % name
        exec(compile(code, module.__file__, "exec", dont_inherit=True), module.__dict__)
        return module
    finally:
        if saved is None:
            sys.modules.pop("_gremlins_switch", None)
        else:
            sys.modules["_gremlins_switch"] = saved


def mutate_text(source, gremlin):
    """The source with the gremlin's span replaced by its replacement: the mutant written by
    hand, independent of the instrumenter's AST work."""
    lines = source.splitlines(True)
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line))
    start = offsets[gremlin["line"] - 1] + gremlin["column"] - 1
    end = offsets[gremlin["end_line"] - 1] + gremlin["end_column"] - 1
    assert source[start:end] == gremlin["original"], (gremlin, source[start:end])
    return source[:start] + gremlin["replacement"] + source[end:]


def outcome(fn, *args, **kwargs):
    """repr of what a call gives: its value (generators listed, coroutines run) or its error."""
    try:
        value = fn(*args, **kwargs)
        if inspect.isgenerator(value):
            value = list(itertools.islice(value, 50))  # a mutant may never stop
        elif inspect.iscoroutine(value):
            value = asyncio.run(value)
        return repr(value)
    except Exception as exc:  # the behaviour under test includes the errors raised
        return "raises %s" % type(exc).__name__
