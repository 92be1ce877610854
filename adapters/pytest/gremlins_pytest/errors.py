"""The package's one error for bad input (options, run.json, the manifest, the project)."""


class UsageError(Exception):
    """Bad input: the message says what and where; the command exits with code 2."""
