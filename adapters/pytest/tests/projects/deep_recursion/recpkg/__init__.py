"""Recursion that a gremlin turns into a RecursionError, next to a big table."""
