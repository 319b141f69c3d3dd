"""One read of a worker's /metrics, as the numbers the dashboard shows."""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field

import httpx
from prometheus_client.parser import text_string_to_metric_families

__all__ = ["Snapshot", "SubjectRow", "fetch", "parse"]


@dataclass(slots=True)
class SubjectRow:
    """A subject's latest windows (``tumbling``: the latest pane; ``hopping``: 15 minutes)."""

    subject: str
    records: float = 0.0  # in the hopping window
    pane_records: float = 0.0
    mean_score: float | None = None  # hopping
    pane_mean: float | None = None  # the latest pane's mean (the sparkline's points)
    negative_share: float | None = None
    high_risk_share: float | None = None

    @property
    def kind(self) -> str:
        return "transaction" if self.high_risk_share is not None else "news"


@dataclass(slots=True)
class Snapshot:
    at: float  # wall time of the read
    subjects: dict[str, SubjectRow] = field(default_factory=dict)
    firing: list[tuple[str, str]] = field(default_factory=list)  # (rule, subject)
    consumed: float = 0.0
    scored: float = 0.0
    rejected: dict[str, float] = field(default_factory=dict)  # reason -> total
    lag: float = 0.0
    batches_in_flight: float = 0.0
    model: dict[str, str] = field(default_factory=dict)  # version, variant, provider


def parse(text: str, at: float | None = None) -> Snapshot:
    """A Snapshot of an exposition ``text`` (what Prometheus would read)."""
    snap = Snapshot(at=time.time() if at is None else at)
    rows: dict[str, SubjectRow] = {}
    rejected: dict[str, float] = defaultdict(float)

    def row(subject: str) -> SubjectRow:
        return rows.setdefault(subject, SubjectRow(subject))

    for family in text_string_to_metric_families(text):
        for s in family.samples:
            name, labels, value = s.name, s.labels, s.value
            hopping = labels.get("window") == "hopping"
            if name == "finsentry_window_records":
                if hopping:
                    row(labels["topic"]).records = value
                else:
                    row(labels["topic"]).pane_records = value
            elif name == "finsentry_window_mean_score":
                if hopping:
                    row(labels["topic"]).mean_score = value
                else:
                    row(labels["topic"]).pane_mean = value
            elif name == "finsentry_window_negative_share" and hopping:
                row(labels["topic"]).negative_share = value
            elif name == "finsentry_window_high_risk_share" and hopping:
                row(labels["topic"]).high_risk_share = value
            elif name == "finsentry_alert_firing" and value >= 1:
                snap.firing.append((labels["rule"], labels["topic"]))
            elif name == "finsentry_records_consumed_total":
                snap.consumed += value
            elif name == "finsentry_records_scored_total":
                snap.scored += value
            elif name == "finsentry_records_rejected_total":
                rejected[labels["reason"]] += value
            elif name == "finsentry_consumer_lag_records":
                snap.lag += value
            elif name == "finsentry_pipeline_batches":
                snap.batches_in_flight += value
            elif name == "finsentry_model_info":
                snap.model = {k: v for k, v in labels.items() if k in ("version", "provider")}
    snap.subjects = rows
    snap.rejected = dict(rejected)
    return snap


def fetch(url: str, timeout_s: float = 3.0) -> Snapshot:
    """Read ``url`` (a worker's /metrics); raises ``httpx.HTTPError`` when it does not answer."""
    response = httpx.get(url, timeout=timeout_s)
    response.raise_for_status()
    return parse(response.text)
