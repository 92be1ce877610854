"""A recursive count and a lookup table.

A gremlin that turns ``n - 1`` into ``n + 1`` makes countdown() recurse until RecursionError:
about a thousand frames in this file.  With ``--tb=short`` pytest re-reads the statement of
every frame, walking this module's syntax tree each time, so the cost grows with the file:
the test that uses this project appends a large TABLE below (grow_table in
test_verdicts_formatting.py) to make that cost plain.  The table's rows say
``# pragma: no mutate``: the table is there for its size, not to be mutated.
"""


def countdown(n):
    if n <= 0:
        return 0
    return countdown(n - 1) + 1


def lookup(key):
    return TABLE[key]


TABLE = {
    "k0000": (0, "v0000", [0, 0]),  # pragma: no mutate
    "k0001": (1, "v0001", [1, 1]),  # pragma: no mutate
}
