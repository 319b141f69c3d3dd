"""``finsentry bench stream`` end to end: its own broker, a real worker, the shipped model."""

from __future__ import annotations

import pytest

from stream.bench.stream import bench_stream
from stream.settings import KafkaSettings, Settings

pytestmark = [pytest.mark.kafka, pytest.mark.slow]


def test_bench_stream_times_rounds_and_loses_no_latency_sample():
    settings = Settings(kafka=KafkaSettings(group_id="bench-test"))
    result = bench_stream(settings, n=200, latency_s=3.0, rounds=2, latency_rate=60)
    assert result["records"] == 200
    assert len(result["end_to_end_per_s"]) == 2
    assert len(result["bare_score_batch_per_s"]) == 3  # before each round and after the last
    assert all(rate > 0 for rate in result["end_to_end_per_s"])
    assert len(result["ratio_per_round"]) == 2
    assert min(result["ratio_per_round"]) <= result["ratio"] <= max(result["ratio_per_round"])
    assert len(result["bare_single_call_per_s"]) == 2 and result["ratio_vs_single_call"] > 0
    assert len(result["worker_event_loop_cpu_us_per_record"]) == 2
    assert len(result["broker_cpu_us_per_record"]) == 2
    assert len(result["overhead_cpu_us_per_record"]) == 2
    assert all(us > 0 for us in result["bare_cpu_us_per_record"])
    # inference runs in the worker's other threads: it cannot take no CPU at all
    assert all(us > 0 for us in result["worker_other_threads_cpu_us_per_record"])
    assert result["latency_load_per_s"] == 60  # the paced run's rate as asked
    assert result["latency_mean_batch"] >= 1 and result["latency_cpu_us_per_record"] > 0
    assert result["latency_samples"] > 0
    assert result["latency_lost"] == 0  # every paced record came out scored
    assert 0 < result["latency_p50_ms"] <= result["latency_p99_ms"]
