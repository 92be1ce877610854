"""hard: a src-layout package whose modules hold the constructs instrumenters get wrong."""
from __future__ import annotations

from hard.shapes import Config, countdown, double, greet, in_range, kind, scaled_sum
from hard.flow import accumulate, fetch, label, safe_div, truthy

__all__ = ["Config", "countdown", "double", "greet", "in_range", "kind", "scaled_sum",
           "accumulate", "fetch", "label", "safe_div", "truthy"]
