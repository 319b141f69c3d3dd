"""A worker's /metrics read as the dashboard's numbers."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, generate_latest

from exporters.collectors import register_consumer_lag, register_pipeline_batches
from exporters.metrics import Metrics
from stream.top.scrape import parse


def exposition() -> str:
    registry = CollectorRegistry()
    m = Metrics.create(registry)
    m.consumed.labels("news").inc(120)
    m.scored.labels("news", "negative").inc(30)
    m.scored.labels("transaction", "low").inc(70)
    m.rejected.labels("news", "bad_json").inc(2)
    m.rejected.labels("transaction", "bad_amount").inc(1)
    for window, n, mean in (("hopping", 40, -0.35), ("tumbling", 6, -0.8)):
        m.window_records.labels("ticker:JPM", window).set(n)
        m.window_mean_score.labels("ticker:JPM", window).set(mean)
        m.window_negative_share.labels("ticker:JPM", window).set(0.5)
    m.window_records.labels("merchant:crypto", "hopping").set(12)
    m.window_high_risk_share.labels("merchant:crypto", "hopping").set(0.25)
    m.alert_firing.labels("negative_surge", "ticker:JPM").set(1)
    m.alert_firing.labels("risk_spike", "merchant:crypto").set(0)
    m.model.info({"version": "m@1/int8", "variant": "int8", "provider": "CPUExecutionProvider"})
    register_consumer_lag(registry, lambda: [(("news", "0"), 7), (("transactions", "1"), 3)])
    register_pipeline_batches(registry, lambda: [(("news",), 2)])
    return generate_latest(registry).decode()


def test_the_exposition_becomes_subjects_alerts_and_totals():
    snap = parse(exposition(), at=100.0)
    jpm = snap.subjects["ticker:JPM"]
    assert (jpm.records, jpm.pane_records, jpm.mean_score, jpm.pane_mean) == (40, 6, -0.35, -0.8)
    assert jpm.negative_share == 0.5 and jpm.kind == "news"
    assert snap.subjects["merchant:crypto"].kind == "transaction"
    assert snap.firing == [("negative_surge", "ticker:JPM")]  # 0 is not firing
    assert (snap.consumed, snap.scored, snap.lag, snap.batches_in_flight) == (120, 100, 10, 2)
    assert snap.rejected == {"bad_json": 2, "bad_amount": 1}
    assert snap.model == {"version": "m@1/int8", "provider": "CPUExecutionProvider"}
