"""Alert rules over a subject's windows, with hysteresis and cooldown.

Rule kinds (loaded from a TOML file of ``[[rules]]``):

- ``level``: a window metric crosses ``fire`` (``direction`` below/above) with at least
  ``min_count`` records; it resolves only once the metric is back past ``clear``.
- ``surge``: the current pane's metric against a trailing baseline of ``baseline_panes``
  panes, as a z-score ``(x - mean) / max(std, 1)``; fires at ``fire`` (with ``min_count``
  records in the pane), resolves once both the current and the last complete pane are below
  ``clear``.

A rule may be limited to subjects by key prefix (``subject_prefixes``; the rules file may
still call them ``topic_prefixes``). A rule that resolved does not fire again on the same
subject within ``cooldown_s`` of event time. Only transitions are returned, each once, with
the evidence behind it.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from stream.errors import ConfigError
from stream.pipeline.contributions import Contribution
from stream.pipeline.kinds import KINDS
from stream.pipeline.offsets import Ranges
from stream.pipeline.windows import (
    WINDOW_METRICS,
    ApplyResult,
    KeyState,
    WindowSpec,
    WindowStats,
    apply_contributions,
    hopping,
    pane_value,
    remember,
    tumbling,
)

__all__ = ["AlertEvent", "AlertRule", "apply_and_evaluate", "evaluate_rules", "load_rules"]


@dataclass(frozen=True, slots=True)
class AlertRule:
    name: str
    kind: Literal["level", "surge"]
    applies_to: Literal["news", "transaction"]
    metric: str
    fire: float
    clear: float
    min_count: int = 1
    window: Literal["tumbling", "hopping"] = "hopping"
    direction: Literal["above", "below"] = "above"
    baseline_panes: int = 30
    cooldown_s: float = 900.0
    subject_prefixes: tuple[str, ...] = ()
    severity: str = "warning"

    def matches(self, key: str, kind: str) -> bool:
        return kind == self.applies_to and (
            not self.subject_prefixes or key.startswith(self.subject_prefixes)
        )


@dataclass(frozen=True, slots=True)
class AlertEvent:
    rule: str
    subject: str
    state: Literal["firing", "resolved"]
    at: float
    value: float
    fire: float
    clear: float
    window: WindowStats
    severity: str
    baseline: tuple[float, float] | None = None  # mean, std

    @property
    def alert_id(self) -> str:
        return f"{self.rule}:{self.subject}:{int(self.at)}:{self.state}"

    def to_wire(self) -> dict[str, Any]:
        iso = lambda t: datetime.fromtimestamp(t, UTC).isoformat()  # noqa: E731
        return {
            "alert_id": self.alert_id,
            "rule": self.rule,
            "topic": self.subject,  # the wire name of the subject key
            "state": self.state,
            "severity": self.severity,
            "at": iso(self.at),
            "value": self.value,
            "fire_threshold": self.fire,
            "clear_threshold": self.clear,
            "window": {
                "start": iso(self.window.start),
                "end": iso(self.window.end),
                "count": self.window.count,
                "mean_score": self.window.mean_score,
                "classes": list(self.window.classes),
            },
            "baseline": None
            if self.baseline is None
            else {"mean": self.baseline[0], "std": self.baseline[1]},
            "sample_ids": list(self.window.flagged_ids),
        }


def load_rules(path: Path) -> tuple[AlertRule, ...]:
    try:
        raw = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as exc:
        msg = (
            f"alert rules {path} cannot be read ({exc}): fix the file or set "
            "FINSENTRY_ALERTS__RULES_FILE"
        )
        raise ConfigError(msg) from exc
    rules = []
    for i, entry in enumerate(raw.get("rules", [])):
        try:
            prefixes = entry.get("subject_prefixes", entry.get("topic_prefixes", ()))
            entry = {k: v for k, v in entry.items() if k != "topic_prefixes"}
            rule = AlertRule(**{**entry, "subject_prefixes": tuple(prefixes)})
        except TypeError as exc:
            msg = f"alert rules {path}: rule #{i + 1} is invalid ({exc})"
            raise ConfigError(msg) from exc
        if (
            rule.metric not in WINDOW_METRICS
            or rule.kind not in ("level", "surge")
            or rule.applies_to not in KINDS
        ):
            msg = (
                f"alert rules {path}: rule {rule.name!r} has an unknown metric, kind or "
                f"applies_to (metrics: {', '.join(WINDOW_METRICS)}; kinds: level, surge; "
                f"applies_to: {', '.join(KINDS)})"
            )
            raise ConfigError(msg)
        rules.append(rule)
    return tuple(rules)


def _crossed(rule: AlertRule, value: float, threshold: float) -> bool:
    if rule.kind == "surge" or rule.direction == "above":
        return value >= threshold
    return value <= threshold


def _z(values: Sequence[float], at: int, baseline: int) -> tuple[float, tuple[float, float]]:
    """z-score of ``values[at]`` against the ``baseline`` values after it (older panes)."""
    history = values[at + 1 : at + 1 + baseline]
    mean = sum(history) / len(history)
    std = math.sqrt(sum((h - mean) ** 2 for h in history) / len(history))
    return (values[at] - mean) / max(std, 1.0), (mean, std)


def _measure(
    rule: AlertRule, state: KeyState, pane: int, pane_s: int, hop_s: int
) -> tuple[float | None, float | None, WindowStats, tuple[float, float] | None]:
    """(value to fire on, value to resolve on, window, baseline)."""
    if rule.kind == "level":
        window = (
            hopping(state, pane, pane_s, hop_s)
            if rule.window == "hopping"
            else tumbling(state, pane, pane_s)
        )
        if window.count < rule.min_count:
            return None, None, window, None
        value = window.metric(rule.metric)
        return value, value, window, None
    # surge: the latest pane and the one before it, each against the panes before it
    values = [
        pane_value(state, pane - k * pane_s, rule.metric) for k in range(rule.baseline_panes + 2)
    ]
    z, baseline = _z(values, 0, rule.baseline_panes)
    z_previous, _ = _z(values, 1, rule.baseline_panes)
    window = tumbling(state, pane, pane_s)
    # The latest pane is still filling: a surge can fire on it, but it resolves only once the
    # last complete pane is calm too (else the first minutes of every pane would resolve it).
    fire_on = z if window.count >= rule.min_count else None
    return fire_on, max(z, z_previous), window, baseline


def evaluate_rules(
    key: str, state: KeyState, rules: tuple[AlertRule, ...], pane_s: int, hop_s: int
) -> list[AlertEvent]:
    """Evaluate every matching rule at the key's latest pane; update ``state.alerts``."""
    if state.max_ts == -math.inf:
        return []
    now = state.max_ts
    pane = int(now // pane_s) * pane_s
    events = []
    for rule in rules:
        if not rule.matches(key, state.kind):
            continue
        value, hold, window, baseline = _measure(rule, state, pane, pane_s, hop_s)
        memo = state.alerts.setdefault(rule.name, {"firing": False, "changed": None})
        if not memo["firing"]:
            cooled = memo["changed"] is None or now - memo["changed"] >= rule.cooldown_s
            if value is not None and cooled and _crossed(rule, value, rule.fire):
                memo.update(firing=True, changed=now)
                events.append(
                    AlertEvent(
                        rule.name,
                        key,
                        "firing",
                        now,
                        value,
                        rule.fire,
                        rule.clear,
                        window,
                        rule.severity,
                        baseline,
                    )
                )
        elif hold is not None and not _crossed(rule, hold, rule.clear):
            memo.update(firing=False, changed=now)
            events.append(
                AlertEvent(
                    rule.name,
                    key,
                    "resolved",
                    now,
                    hold,
                    rule.fire,
                    rule.clear,
                    window,
                    rule.severity,
                    baseline,
                )
            )
    return events


def apply_and_evaluate(
    key: str,
    state: KeyState,
    contributions: Sequence[Contribution],
    rules: tuple[AlertRule, ...],
    spec: WindowSpec,
    covered: dict[str, Ranges] | None = None,
) -> tuple[ApplyResult, list[AlertEvent]]:
    """Apply a key's contributions pane by pane, evaluating the rules after each pane.

    A batch can span several minutes of event time (a backlog); evaluating only at its end
    would look at the last, partial pane and miss a surge in the middle. ``covered``: see
    ``apply_contributions``.
    """
    pane_s = spec.pane_s
    applied = duplicates = late = 0
    events: list[AlertEvent] = []
    fresh: dict[int, dict[str, set[int]]] = {}
    panes: set[int] = set()
    start = 0
    while start < len(contributions):
        pane = int(contributions[start].ts // pane_s)
        end = start
        while end < len(contributions) and int(contributions[end].ts // pane_s) == pane:
            end += 1
        result = apply_contributions(
            state, contributions[start:end], pane_s, spec.retention_s, spec.sample_ids, fresh=fresh
        )
        applied, duplicates, late = (
            applied + result.applied,
            duplicates + result.duplicates,
            late + result.late,
        )
        panes |= result.panes
        if result.applied:
            events += evaluate_rules(key, state, rules, pane_s, spec.hop_s)
        start = end
    remember(state, fresh, covered)
    return ApplyResult(applied, duplicates, late, frozenset(panes)), events
