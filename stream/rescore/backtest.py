"""``--backtest``: the worker's windows and alert rules replayed over history.

Contributions are applied per subject key in input order with the worker's own window step
(``stream.pipeline.batch.WindowStep``), so the alerts are the ones the worker would have raised
on the same records. A pane's row (its tumbling window and the hopping window ending with
it) is written once the key's event time is one pane past its end; the rest at the end of the run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from stream.pipeline.alerts import AlertEvent
from stream.pipeline.batch import BatchResult, WindowStep, by_key, covered_offsets
from stream.pipeline.kinds import KINDS, NEWS
from stream.pipeline.windows import KeyState, hopping, tumbling

__all__ = [
    "ALERT_COLUMNS",
    "ALERT_NUMERIC",
    "WINDOW_COLUMNS",
    "WINDOW_NUMERIC",
    "Backtest",
    "alert_row",
]

WINDOW_COLUMNS = (
    "topic",
    "kind",
    "pane_start",
    "pane_end",
    "count",
    "novel_count",
    "mean_score",
    *(column for kind in KINDS.values() for column in kind.backtest_columns),
    "negative_share",
    "high_risk_share",
    "amount_usd",
    "hopping_start",
    "hopping_count",
    "hopping_mean_score",
    "hopping_negative_share",
    "hopping_high_risk_share",
)
ALERT_COLUMNS = (
    "alert_id",
    "rule",
    "topic",
    "state",
    "severity",
    "at",
    "value",
    "fire_threshold",
    "clear_threshold",
    "window_start",
    "window_end",
    "window_count",
    "window_mean_score",
    "baseline_mean",
    "baseline_std",
    "sample_ids",
)

WINDOW_NUMERIC = frozenset(WINDOW_COLUMNS) - {
    "topic",
    "kind",
    "pane_start",
    "pane_end",
    "hopping_start",
}
ALERT_NUMERIC = frozenset(
    (
        "value",
        "fire_threshold",
        "clear_threshold",
        "window_count",
        "window_mean_score",
        "baseline_mean",
        "baseline_std",
    )
)


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat()


def alert_row(alert: AlertEvent) -> dict[str, Any]:
    wire = alert.to_wire()
    window = wire["window"]
    baseline = wire["baseline"] or {}
    return {
        **{k: wire[k] for k in ALERT_COLUMNS if k in wire and k != "sample_ids"},
        "window_start": window["start"],
        "window_end": window["end"],
        "window_count": window["count"],
        "window_mean_score": window["mean_score"],
        "baseline_mean": baseline.get("mean"),
        "baseline_std": baseline.get("std"),
        "sample_ids": " ".join(wire["sample_ids"]),
    }


@dataclass(slots=True)
class Backtest:
    step: WindowStep
    states: dict[str, KeyState] = field(default_factory=dict)
    emitted: dict[str, int] = field(default_factory=dict)  # last pane start written, per key

    def add(self, batch: BatchResult) -> tuple[list[dict[str, Any]], list[AlertEvent]]:
        """Apply a chunk's scored events; returns finished window rows and alert transitions."""
        covered = covered_offsets(batch.sources)
        rows: list[dict[str, Any]] = []
        alerts: list[AlertEvent] = []
        for key, contributions in by_key(batch.contributions()).items():
            state = self.states.setdefault(key, KeyState())
            _, fired = self.step.apply(key, state, contributions, covered)
            alerts += fired
            rows += self._rows(key, state, state.max_ts - self.step.spec.pane_s)
        return rows, alerts

    def finish(self) -> list[dict[str, Any]]:
        """Rows of every pane not written yet."""
        rows: list[dict[str, Any]] = []
        for key, state in self.states.items():
            rows += self._rows(key, state, float("inf"))
        return rows

    def _rows(self, key: str, state: KeyState, until: float) -> list[dict[str, Any]]:
        pane_s, hop_s = self.step.spec.pane_s, self.step.spec.hop_s
        done = self.emitted.get(key, -1)
        starts = sorted(s for s in state.panes if s > done and s + pane_s <= until)
        kind = KINDS.get(state.kind, NEWS)
        rows = []
        for start in starts:
            pane = tumbling(state, start, pane_s)
            hop = hopping(state, start, pane_s, hop_s)
            row: dict[str, Any] = dict.fromkeys(WINDOW_COLUMNS)
            row.update(
                topic=key,
                kind=state.kind,
                pane_start=_iso(start),
                pane_end=_iso(start + pane_s),
                count=pane.count,
                novel_count=pane.novel_count,
                mean_score=pane.mean_score,
                **{kind.share_metric: pane.metric(kind.share_metric)},
                amount_usd=pane.amount_usd,
                hopping_start=_iso(hop.start),
                hopping_count=hop.count,
                hopping_mean_score=hop.mean_score,
                **{f"hopping_{kind.share_metric}": hop.metric(kind.share_metric)},
            )
            row.update(zip(kind.backtest_columns, pane.classes, strict=True))
            rows.append(row)
            self.emitted[key] = start
        return rows

    def to_dict(self) -> dict[str, Any]:
        return {
            "states": {k: s.to_dict() for k, s in self.states.items()},
            "emitted": self.emitted,
        }

    def restore(self, raw: dict[str, Any] | None) -> None:
        raw = raw or {}
        self.states = {k: KeyState.from_dict(v) for k, v in raw.get("states", {}).items()}
        self.emitted = {k: int(v) for k, v in raw.get("emitted", {}).items()}
