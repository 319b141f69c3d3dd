"""``finsentry bench lifecycle`` end to end: two real workers, a registry, a promotion."""

from __future__ import annotations

import pytest

from stream.bench.lifecycle import bench_lifecycle
from stream.settings import Settings

pytestmark = [pytest.mark.kafka, pytest.mark.slow]


def test_bench_lifecycle_compares_shadow_and_swaps_without_loss():
    result = bench_lifecycle(Settings(), n=300, rounds=2, shadow_share=0.5, swap_seconds=8.0)
    assert len(result["plain_per_s"]) == len(result["shadow_per_s"]) == 2
    assert all(rate > 0 for rate in result["plain_per_s"] + result["shadow_per_s"])
    assert min(result["shadow_ratio_per_round"]) <= result["shadow_ratio"]
    assert result["shadow_ratio"] <= max(result["shadow_ratio_per_round"])
    assert result["swap_records_sent"] > 0 and result["swap_records_lost"] == 0
    assert result["swap_seconds_to_serve"] is not None  # the worker reported the new version
    assert result["swap_seconds_to_serve"] < 30
    assert result["swap_steady_p99_ms"] and result["swap_during_p99_ms"]
