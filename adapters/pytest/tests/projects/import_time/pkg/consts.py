"""Module-level constants: their gremlins are static."""
from __future__ import annotations

LIMIT = 10 + 5
RATIO = 3 * 2
FLAGS = {"strict": 1 < 2}
