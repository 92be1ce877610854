"""A project with a site of every mutation operator (tests/test_verdicts_operators.py)."""
