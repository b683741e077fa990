"""Safe ranges for number answers: edges that reveal neither the smallest nor the largest.

Publishing the minimum or maximum of a number question ("someone was unpaid for 52 weeks")
points at one person, and so do range edges computed from them. The edges here are drawn
between the ``k``-th smallest and the ``k``-th largest answer, rounded to a round step, and
the first and last ranges are open ("under 5", "50 or more"): at least ``k`` answers lie at
or beyond each end, so the edges describe groups, never one person.
"""

from __future__ import annotations

import itertools
import math
from bisect import bisect_right
from collections import Counter

__all__ = ["Bin", "bin_index", "safe_bins"]

#: ``(low, high)``: ``low <= value < high``; ``None`` is an open end.
Bin = tuple[float | None, float | None]


def _kth(values: list[tuple[float, int]], k: int) -> float:
    seen = 0
    for value, count in values:
        seen += count
        if seen >= k:
            return value
    return values[-1][0]


def safe_bins(values: Counter[object], integer: bool, k: int) -> list[Bin]:
    """About five ranges with round edges, open at both ends (see the module docstring)."""
    if not values:
        return []
    numeric = sorted((float(v), c) for v, c in values.items())  # type: ignore[arg-type]  # number answers
    low = _kth(numeric, k)
    high = _kth(numeric[::-1], k)
    if high <= low:
        step = 1.0 if integer or low == 0 else 10 ** math.floor(math.log10(abs(low)))
        edges = [low, low + step]
    else:
        raw = (high - low) / 5
        magnitude = 10 ** math.floor(math.log10(raw))
        step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
        if integer:
            step = max(1.0, math.ceil(step))
        edges = [math.floor(low / step) * step]
        while edges[-1] <= high:
            edges.append(edges[-1] + step)
    bins: list[Bin] = [(None, edges[0])]
    bins.extend(itertools.pairwise(edges))
    bins.append((edges[-1], None))
    return bins


def bin_index(value: float, bins: list[Bin]) -> int:
    """The range ``value`` falls in (``bins`` as :func:`safe_bins` returns them)."""
    edges = [low for low, _ in bins[1:] if low is not None]
    return bisect_right(edges, value)
