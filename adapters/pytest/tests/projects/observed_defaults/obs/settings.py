"""Values made once and kept: by a module-scoped fixture, by a memo."""

import functools


def load():
    return {"name": "service", "retries": 3}


@functools.lru_cache(maxsize=None)
def squares():
    return tuple(n * n for n in range(5))
