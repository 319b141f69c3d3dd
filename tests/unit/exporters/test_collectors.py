"""Collectors read at scrape time; a failing reader yields no samples, never a failed scrape."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, generate_latest

from exporters.collectors import register_consumer_lag, register_pipeline_batches


def test_values_are_read_when_scraped_not_before():
    registry = CollectorRegistry()
    current = {"news": 1}
    register_pipeline_batches(registry, lambda: [((k,), v) for k, v in current.items()])
    assert registry.get_sample_value("finsentry_pipeline_batches", {"kind": "news"}) == 1
    current["news"] = 4
    assert registry.get_sample_value("finsentry_pipeline_batches", {"kind": "news"}) == 4


def test_a_failing_reader_leaves_the_family_empty_and_the_scrape_working():
    registry = CollectorRegistry()

    def broken():
        raise RuntimeError("consumer not started")

    register_consumer_lag(registry, broken)
    text = generate_latest(registry).decode()
    assert "# TYPE finsentry_consumer_lag_records gauge" in text
    assert "finsentry_consumer_lag_records{" not in text
