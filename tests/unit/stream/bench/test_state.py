"""The helpers of ``finsentry bench soak`` / ``bench keys`` (the runs themselves: integration)."""

from __future__ import annotations

import os
from datetime import UTC, datetime

import orjson
import pytest

from stream.bench.state import _account_txs, _each, _slope_mb_per_min, rss_mb
from stream.pipeline.parse import Rejected, parse_transaction
from stream.settings import ValidationSettings


def test_rss_of_this_process_and_of_none():
    assert rss_mb(os.getpid()) > 10
    assert rss_mb(None) == 0.0 and rss_mb(2**22 + 12345) == 0.0


def test_slope_is_megabytes_per_minute_and_needs_three_samples():
    samples = [(t, 100 + 0.05 * t) for t in range(0, 300, 10)]  # 3 MB a minute
    assert _slope_mb_per_min(samples) == pytest.approx(3.0)
    assert _slope_mb_per_min(samples[:2]) is None


def test_one_step_of_the_allocator_is_not_read_as_a_slope():
    flat = [(float(t), 250.0 + (3.0 if t >= 100 else 0.0)) for t in range(0, 150, 5)]
    assert abs(_slope_mb_per_min(flat) or 0.0) < 0.5  # least squares: ~1.5 MB/min
    growing = [(t, 250.0 + 0.07 * t + (3.0 if t >= 100 else 0.0)) for t in range(0, 150, 5)]
    assert _slope_mb_per_min(growing) == pytest.approx(4.2, abs=0.5)


def test_each_keeps_the_first_sample_of_every_interval():
    samples = [(float(t), 0.0, 0.0) for t in range(0, 200, 7)]
    assert [s[0] for s in _each(samples, 60)] == [0.0, 63.0, 126.0, 182.0]


def test_account_transactions_are_valid_distinct_and_spread_over_the_hours():
    start = datetime(2026, 1, 1, tzinfo=UTC)
    txs = _account_txs(1000, start, 2.0, "k")
    assert len({t["account"] for t in txs}) == 1000
    assert txs[-1]["ts"] == datetime(2026, 1, 1, 1, 59, 52, 800000, tzinfo=UTC).isoformat()
    later = datetime(2026, 1, 1, 3, tzinfo=UTC)
    for tx in txs[:5]:
        parsed = parse_transaction(orjson.dumps(tx), ValidationSettings(), later, b"key")
        assert not isinstance(parsed, Rejected), parsed
