"""Five minutes of the demo's feed through a real worker: memory levels off and the window
changelog costs what changed (``finsentry bench soak`` at its defaults)."""

from __future__ import annotations

import pytest

from stream.bench.state import bench_soak
from stream.settings import Settings

pytestmark = [pytest.mark.kafka, pytest.mark.slow, pytest.mark.chaos]


def test_a_five_minute_soak_keeps_memory_flat_and_the_changelog_small():
    result = bench_soak(Settings(), seconds=300, rate=100)
    assert result["records_sent"] > 25_000 and result["windows_caught_up"]
    assert result["records_scored"] >= result["records_sent"] * 0.99
    # event time passes the one-hour retention several times: state reaches its steady size
    assert result["event_time_hours"] > 3
    # one changelog record per pane that changed, not the whole key per batch (was ~3,300 B)
    assert result["changelog_bytes_per_input_record"] <= 300
    # the keys in window state stop growing once event time passes the retention ...
    assert 0 < result["window_keys_max"] <= 1.2 * result["window_keys_half"]
    # ... and so does the worker's memory (was +4.2 MB/min at 300 records/s; a Theil-Sen slope,
    # not moved much by one step of the allocator)
    assert result["worker_rss_slope_mb_per_min_second_half"] < 1.0, (
        f"worker RSS each minute {result['worker_rss_mb_each_minute']} MB, "
        f"end {result['worker_rss_mb_end']} MB"
    )
