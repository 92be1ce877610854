"""``python -m gremlins_pytest COMMAND ...``; the one command is ``prepare``."""

import sys

USAGE = """usage: python -m gremlins_pytest prepare --project DIR [--out DIR] [--operators a,b]
                                  [--targets PATH ...] [--python-paths PATH ...]
                                  [-- PYTEST_ARGS ...]
"""


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] in ("-h", "--help"):
        sys.stdout.write(USAGE)
        return 0 if argv else 2
    if argv[0] != "prepare":
        sys.stderr.write("gremlins_pytest: error: unknown command %r\n%s" % (argv[0], USAGE))
        return 2
    from . import prepare
    return prepare.main(argv[1:])


if __name__ == "__main__":
    sys.exit(main())
