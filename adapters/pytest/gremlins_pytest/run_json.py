"""Reading the files ``prepare`` writes into OUT: run.json (for the cold runner and the warm
worker) and the manifest."""

import json
import os

from .errors import UsageError

#: run.json fields checked for their type whenever they are present (and not null).
RUN_FIELD_TYPES = {"project": str, "instrumented_dir": str, "env": dict, "pytest_args": list}


def read_json(path, what):
    """The JSON in ``path``; ``what`` names the file in the error messages."""
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except OSError as exc:
        raise UsageError("cannot read %s %s: %s" % (what, path, exc.strerror)) from None
    except ValueError as exc:
        raise UsageError("%s %s is not valid JSON: %s" % (what, path, exc)) from None


def read_run(gremlins_dir, required=()):
    """OUT/run.json as written by ``prepare``: a JSON object whose ``required`` fields are
    strings and whose fields of RUN_FIELD_TYPES have that type when present."""
    path = os.path.join(gremlins_dir, "run.json")
    try:
        with open(path, encoding="utf-8") as handle:
            run = json.load(handle)
    except OSError as exc:
        raise UsageError("%s: cannot read: %s" % (path, exc.strerror)) from None
    except ValueError as exc:
        raise UsageError("%s: not valid JSON: %s" % (path, exc)) from None
    if not isinstance(run, dict):
        raise UsageError("%s: expected a JSON object" % path)
    for field in required:
        if not isinstance(run.get(field), str):
            raise UsageError("%s: field %r is missing" % (path, field))
    for field, kind in RUN_FIELD_TYPES.items():
        if run.get(field) is not None and not isinstance(run[field], kind):
            raise UsageError("%s: field '%s' must be a %s" % (path, field, kind.__name__))
    return run
