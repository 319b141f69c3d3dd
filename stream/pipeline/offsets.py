"""Sets of source offsets as sorted, disjoint, inclusive ``[lo, hi]`` ranges.

The windows remember which source offsets they have applied as ranges: a batch of contiguous
offsets is one range, and consecutive batches merge, so the set stays a handful of ranges
however long the stream runs, and a record redelivered in any order is recognised.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable

__all__ = ["Ranges", "contains", "runs", "union"]

Ranges = list[list[int]]  # [[lo, hi], ...] sorted, disjoint, not adjacent


def contains(ranges: Ranges, offset: int) -> bool:
    i = bisect_right(ranges, [offset, float("inf")]) - 1
    return i >= 0 and ranges[i][0] <= offset <= ranges[i][1]


def union(left: Ranges, right: Iterable[list[int]]) -> Ranges:
    """Both sets of ranges as one (a single merge pass over them, sorted)."""
    right = list(right)
    if len(left) == 1 and len(right) == 1:  # the usual case: one run each, overlapping
        (a, b), (c, d) = left[0], right[0]
        if c <= b + 1 and a <= d + 1:
            return [[min(a, c), max(b, d)]]
    out: Ranges = []
    for lo, hi in sorted([*left, *right]):
        if out and lo <= out[-1][1] + 1:
            out[-1][1] = max(out[-1][1], hi)
        else:
            out.append([lo, hi])
    return out


def runs(offsets: Iterable[int]) -> Ranges:
    """Contiguous runs of a collection of offsets."""
    out: Ranges = []
    for offset in sorted(set(offsets)):
        if out and offset == out[-1][1] + 1:
            out[-1][1] = offset
        else:
            out.append([offset, offset])
    return out
