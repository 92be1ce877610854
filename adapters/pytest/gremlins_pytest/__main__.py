"""``python -m gremlins_pytest COMMAND ...``: ``prepare`` (instrument a project and run its
baseline) and ``list-operators`` (every mutation operator, one line each)."""

import sys

USAGE = """usage: python -m gremlins_pytest prepare --project DIR [--out DIR] [--operators a,b]
                                  [--targets PATH ...] [--python-paths PATH ...]
                                  [-- PYTEST_ARGS ...]
       python -m gremlins_pytest list-operators
"""


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] in ("-h", "--help"):
        sys.stdout.write(USAGE)
        return 0 if argv else 2
    if argv[0] == "list-operators":
        if len(argv) > 1:
            sys.stderr.write("gremlins_pytest: error: list-operators takes no argument, got %r\n%s"
                             % (argv[1], USAGE))
            return 2
        from . import operators
        sys.stdout.write(operators.listing())
        return 0
    if argv[0] != "prepare":
        sys.stderr.write("gremlins_pytest: error: unknown command %r\n%s" % (argv[0], USAGE))
        return 2
    from . import prepare
    return prepare.main(argv[1:])


if __name__ == "__main__":
    sys.exit(main())
