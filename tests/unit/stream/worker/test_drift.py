"""The worker's drift monitor: live records against a reference, read at scrape time."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from prometheus_client import CollectorRegistry

from exporters.collectors import register_drift
from models.drift import Reference
from stream.pipeline.batch import BatchResult
from stream.pipeline.kinds import NEWS
from stream.records import ScoredEvent, SourceRef
from stream.worker.drift import DriftMonitor

REF = Reference.build(
    ["neutral"] * 6 + ["negative"] * 2 + ["positive"] * 2,
    [0.0] * 6 + [-0.9] * 2 + [0.9] * 2,
    ("negative", "neutral", "positive"),
)


def _batch(labels: list[str], tokens: int = 0, unknown: int = 0, chars: int = 0) -> BatchResult:
    score = {"negative": -0.9, "neutral": 0.0, "positive": 0.9}
    scored = [
        ScoredEvent(f"n{i}", "news", datetime.now(UTC), (), label, {}, score[label], "m",
                    SourceRef("t", 0, i))
        for i, label in enumerate(labels)
    ]  # fmt: skip
    return BatchResult(
        NEWS, [], scored, [], tokens=tokens, unknown_tokens=unknown, text_chars=chars
    )


def test_psi_appears_once_enough_records_and_follows_the_live_mix():
    monitor = DriftMonitor(lambda task: REF if task == "news" else None, window=100, min_records=50)
    monitor.observe(_batch(["neutral"] * 30))
    assert list(monitor.psi()) == []  # too few yet
    monitor.observe(_batch((["neutral"] * 6 + ["negative"] * 2 + ["positive"] * 2) * 7))
    calm = dict(monitor.psi())
    assert calm[("news", "class")] < 0.25
    for _ in range(2):  # the window keeps the last 100: all negative now
        monitor.observe(_batch(["negative"] * 60))
    drifted = dict(monitor.psi())
    assert drifted[("news", "class")] > 0.25 and drifted[("news", "score")] > 0.25
    assert dict(monitor.records()) == {("news",): 100.0}


def test_input_signals_cover_the_last_window_of_batches():
    monitor = DriftMonitor(lambda task: REF, window=10, min_records=1)
    monitor.observe(_batch(["neutral"] * 10, tokens=100, unknown=50, chars=1000))
    monitor.observe(_batch(["neutral"] * 10, tokens=200, unknown=0, chars=400))
    signals = dict(monitor.inputs())
    assert signals[("news", "unknown_token_share")] == 0  # the older batch left the window
    assert signals[("news", "mean_text_chars")] == pytest.approx(40)


def test_collectors_export_the_monitor_at_scrape_time():
    registry = CollectorRegistry()
    monitor = DriftMonitor(lambda task: REF, window=100, min_records=10)
    register_drift(registry, monitor.psi, monitor.inputs, monitor.records)
    assert (
        registry.get_sample_value("finsentry_score_drift_psi", {"kind": "news", "measure": "class"})
        is None
    )
    monitor.observe(_batch(["negative"] * 20, tokens=40, unknown=4, chars=200))
    value = registry.get_sample_value(
        "finsentry_score_drift_psi", {"kind": "news", "measure": "class"}
    )
    assert value is not None and value > 1
    share = registry.get_sample_value(
        "finsentry_input_drift_signal", {"kind": "news", "signal": "unknown_token_share"}
    )
    assert share == pytest.approx(0.1)
