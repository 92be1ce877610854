from __future__ import annotations

from .consts import LIMIT  # noqa: F401 -- the package re-exports it
