"""Offset range sets."""

from __future__ import annotations

import itertools
import random

from stream.pipeline.offsets import contains, runs, union


def test_ranges_behave_like_a_set_of_integers():
    rng = random.Random(3)
    ranges: list[list[int]] = []
    members: set[int] = set()
    for _ in range(300):
        lo = rng.randrange(0, 400)
        hi = lo + rng.randrange(0, 8)
        ranges = union(ranges, [[lo, hi]])
        members |= set(range(lo, hi + 1))
        assert all(a <= b for a, b in ranges)
        assert all(b + 1 < a2 for (_, b), (a2, _) in itertools.pairwise(ranges))
    assert {x for x in range(-5, 420) if contains(ranges, x)} == members
    assert runs(members) == ranges


def test_union_and_runs():
    assert runs([5, 3, 4, 10, 11, 20]) == [[3, 5], [10, 11], [20, 20]]
    assert union([[0, 5]], [[6, 9], [20, 21]]) == [[0, 9], [20, 21]]
    assert not contains([], 0)


def test_union_is_the_set_union_of_any_two_range_lists():
    rng = random.Random(11)
    for _ in range(200):
        left = runs(rng.sample(range(60), rng.randrange(0, 30)))
        right = [sorted(rng.sample(range(70), 2)) for _ in range(rng.randrange(0, 6))]
        merged = union(left, right)
        expected = {x for lo, hi in left + right for x in range(lo, hi + 1)}
        assert {x for x in range(-1, 80) if contains(merged, x)} == expected
        assert all(b + 1 < a2 for (_, b), (a2, _) in itertools.pairwise(merged))
