"""What the worker shows Prometheus beyond counters: per-topic window gauges and consumer lag."""

from __future__ import annotations

import logging
from typing import Any

from exporters.metrics import Metrics, TopicLabels
from stream.stages.aggregate import KeyState, WindowStats, hopping, tumbling

__all__ = ["CLASS_NAMES", "export_lag", "export_windows"]

log = logging.getLogger(__name__)

CLASS_NAMES = {
    "news": ("negative", "neutral", "positive"),
    "transaction": ("low", "medium", "high"),
}


def _set(metrics: Metrics, kind: str, topic: str, window: str, stats: WindowStats) -> None:
    m = metrics
    m.window_records.labels(topic, window).set(stats.count)
    if stats.mean_score is not None:
        m.window_mean_score.labels(topic, window).set(stats.mean_score)
    for name, n in zip(CLASS_NAMES.get(kind, CLASS_NAMES["news"]), stats.classes, strict=True):
        m.window_class_records.labels(topic, window, name).set(n)
    if kind == "news" and stats.negative_share is not None:
        m.window_negative_share.labels(topic, window).set(stats.negative_share)
    if kind == "transaction":
        if stats.high_risk_share is not None:
            m.window_high_risk_share.labels(topic, window).set(stats.high_risk_share)
        m.window_amount_usd.labels(topic, window).set(stats.amount_usd)


def export_windows(
    metrics: Metrics, labels: TopicLabels, key: str, state: KeyState, pane_s: int, hop_s: int
) -> None:
    """Gauges of the key's latest tumbling pane and the hopping window ending with it."""
    if not labels.exported(key) or not state.panes:
        return
    pane = int(state.max_ts // pane_s) * pane_s
    _set(metrics, state.kind, key, "tumbling", tumbling(state, pane, pane_s))
    _set(metrics, state.kind, key, "hopping", hopping(state, pane, pane_s, hop_s))


def export_lag(metrics: Metrics, consumer: Any, roles: dict[str, str]) -> None:
    """``fetched high-water mark - committed offset`` per assigned input partition (the
    broker's list-offsets answer is not trusted, see the broker notes)."""
    try:
        assignment = consumer.assignment()
        committed = getattr(consumer, "_committed_offset", {})
        for tp in assignment:
            role = roles.get(tp.topic)
            if role is None:
                continue
            highwater = consumer.highwater(tp)
            if highwater is None:
                continue
            done = committed.get(tp)
            lag = highwater - (done or 0)  # committed = the next offset to read
            metrics.consumer_lag.labels(role, str(tp.partition)).set(max(0, lag))
    except Exception as exc:  # noqa: BLE001 - observing must never hurt the worker
        log.debug("consumer lag not available: %s", exc)
