"""What the worker shows Prometheus beyond counters: per-subject window gauges (set as a key's
state changes) and the consumer lag (read from the consumer when Prometheus scrapes)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from exporters.metrics import Metrics, SubjectLabels
from stream.pipeline.kinds import KINDS, NEWS
from stream.pipeline.windows import KeyState, WindowStats, hopping, tumbling
from stream.worker.faust_compat import committed_offsets

__all__ = ["export_windows", "lag_samples"]


def _set(metrics: Metrics, kind_name: str, subject: str, window: str, stats: WindowStats) -> None:
    m = metrics
    kind = KINDS.get(kind_name, NEWS)
    m.window_records.labels(subject, window).set(stats.count)
    if kind.novelty:
        m.window_novel_records.labels(subject, window).set(stats.novel_count)
    if stats.mean_score is not None:
        m.window_mean_score.labels(subject, window).set(stats.mean_score)
    for name, n in zip(kind.classes, stats.classes, strict=True):
        m.window_class_records.labels(subject, window, name).set(n)
    share = stats.metric(kind.share_metric)
    if share is not None:
        gauges = {
            "negative_share": m.window_negative_share,
            "high_risk_share": m.window_high_risk_share,
        }
        gauges[kind.share_metric].labels(subject, window).set(share)
    if kind.exports_amount:
        m.window_amount_usd.labels(subject, window).set(stats.amount_usd)


def export_windows(
    metrics: Metrics, labels: SubjectLabels, key: str, state: KeyState, pane_s: int, hop_s: int
) -> None:
    """Gauges of the key's latest tumbling pane and the hopping window ending with it."""
    if not labels.exported(key) or not state.panes:
        return
    pane = int(state.max_ts // pane_s) * pane_s
    _set(metrics, state.kind, key, "tumbling", tumbling(state, pane, pane_s))
    _set(metrics, state.kind, key, "hopping", hopping(state, pane, pane_s, hop_s))


def lag_samples(consumer: Any, roles: dict[str, str]) -> Iterator[tuple[tuple[str, str], float]]:
    """``((role, partition), fetched high-water mark - committed offset)`` per assigned input
    partition (the broker's list-offsets answer is not trusted, see the broker notes)."""
    committed = committed_offsets(consumer)
    for tp in list(consumer.assignment()):
        role = roles.get(tp.topic)
        highwater = consumer.highwater(tp) if role is not None else None
        if role is None or highwater is None:
            continue
        done = committed.get(tp)  # committed = the next offset to read
        yield (role, str(tp.partition)), float(max(0, highwater - (done or 0)))
