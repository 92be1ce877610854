"""One gremlin in a fresh interpreter (the "cold" run)::

    ACTIVE_GREMLIN=<id> python -m gremlins_pytest.cold --gremlins-dir OUT [--report FILE]
                                                      [-- PYTEST_ARGS]

Runs pytest in-process in the project's folder, with the gremlin of ``ACTIVE_GREMLIN``
switched on from the start (so import-time "static" gremlins take effect), over that gremlin's
covering tests from the manifest in manifest order (every test when the gremlin is not in the
manifest or none is active), stopping at the first failure.

Exit code: pytest's (0 all passed: survived; 1 a test failed: zapped; 2-5 errors), except
that a collection or import error while a gremlin is active gives 1 (the baseline collected
cleanly, so the gremlin broke the import), and a gremlin whose ``tests`` is [] gives 5 (no
test to run).  ``--report FILE`` writes {"gremlin", "exit_code", "killing_test", "ms",
"output"}.
"""

import argparse
import json
import os
import sys
import time

from .errors import UsageError
from .protocol import OUTPUT_LIMIT
from .pytest_support import Outcomes, SelectTests, import_switch, parse_with_extra
from .run_json import read_json, read_run


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m gremlins_pytest.cold")
    parser.add_argument("--gremlins-dir", required=True, help="the folder holding run.json")
    parser.add_argument("--report", help="write the outcome as JSON to this file")
    return parse_with_extra(parser, argv)


def covering_tests(manifest, gremlin):
    """The gremlin's tests from the manifest, or None (run everything) when unknown."""
    if not gremlin:
        return None
    for entry in manifest.get("gremlins", []):
        if isinstance(entry, dict) and entry.get("id") == gremlin:
            tests = entry.get("tests")
            return list(tests) if isinstance(tests, list) else None
    return None


def run(args):
    run_info = read_run(os.path.abspath(args.gremlins_dir),
                        required=("project", "instrumented_dir", "manifest"))
    manifest = read_json(run_info["manifest"], "manifest")
    gremlin = os.environ.get("ACTIVE_GREMLIN") or None
    tests = covering_tests(manifest, gremlin)
    if tests == []:
        sys.stderr.write("gremlins_pytest.cold: no test covers %s\n" % gremlin)
        return 5, None, 0.0, ""
    os.chdir(run_info["project"])
    import_switch(run_info["instrumented_dir"])
    import pytest

    outcomes = Outcomes()
    plugins = [outcomes] + ([SelectTests(tests)] if tests is not None else [])
    pytest_args = list(run_info.get("pytest_args") or []) + ["-x", "-q", "--tb=short"]
    start = time.perf_counter()
    code = int(pytest.main(pytest_args + args.pytest_args, plugins=plugins))
    ms = (time.perf_counter() - start) * 1000.0
    if gremlin and code != 0 and outcomes.collection_errors and outcomes.killing_test is None:
        sys.stderr.write("gremlins_pytest.cold: collection failed with %s active: zapped\n"
                         % gremlin)
        code = 1
    return code, outcomes.killing_test, ms, outcomes.output


def main(argv=None):
    try:
        args = parse_args(sys.argv[1:] if argv is None else argv)
        code, killing_test, ms, output = run(args)
    except UsageError as exc:
        sys.stderr.write("gremlins_pytest.cold: error: %s\n" % exc)
        return 2
    if args.report:
        with open(args.report, "w", encoding="utf-8") as handle:
            json.dump({"gremlin": os.environ.get("ACTIVE_GREMLIN") or None, "exit_code": code,
                       "killing_test": killing_test, "ms": round(ms, 3),
                       "output": output[-OUTPUT_LIMIT:]}, handle)
    return code


if __name__ == "__main__":
    sys.exit(main())
