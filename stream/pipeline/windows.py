"""Per-subject windows, applied idempotently.

State is kept per subject key as one-``tumbling_s`` panes (event time); a tumbling window is one
pane and a hopping window is the sum of the panes it covers, so each record touches one pane
per subject. Each pane also records, per source partition, the source offsets already applied
to it (merged ranges, see ``offsets``): a redelivered record has the same event time, so it
falls in the same pane and is skipped there, in whatever order it comes back; window counts
are never inflated, and a record processed late is still counted. A pane is plain data that
holds its own offsets, so the worker persists each pane that changed as one changelog record
(``stream.pipeline.window_log``) and every write stays atomic.

A pane keeps the plain count and class counts, the relevance-weighted score (its mean score
is weighted by each record's relevance to the subject) and the class counts of *novel*
records only (first stories, not syndicated repeats: see ``novelty``), which the surge rules
count by default.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from stream.pipeline.contributions import Contribution
from stream.pipeline.kinds import kind_named
from stream.pipeline.offsets import Ranges, contains, runs, union

__all__ = [
    "WINDOW_METRICS",
    "KeyState",
    "Pane",
    "WindowSpec",
    "WindowStats",
    "apply_contributions",
    "hopping",
    "pane_value",
    "remember",
    "tumbling",
]


@dataclass(frozen=True, slots=True)
class WindowSpec:
    """The window settings the stages need (from ``WindowSettings`` and ``AlertSettings``)."""

    pane_s: int  # tumbling pane; also the hop of hopping windows
    hop_s: int  # hopping window size
    retention_s: int
    sample_ids: int = 5  # flagged ids kept per pane as evidence


@dataclass(slots=True)
class Pane:
    count: int = 0
    score_sum: float = 0.0  # relevance-weighted
    classes: list[int] = field(default_factory=lambda: [0, 0, 0])
    amount_usd: float = 0.0
    flagged_ids: list[str] = field(default_factory=list)  # negative / high-risk, as evidence
    weight: float = 0.0  # sum of relevance
    novel: list[int] = field(default_factory=lambda: [0, 0, 0])  # classes of first stories
    max_ts: float = -math.inf  # the newest record's event time
    applied: dict[str, Ranges] = field(default_factory=dict)  # source -> offset ranges

    def to_wire(self) -> list[Any]:
        return [
            self.count,
            self.score_sum,
            self.classes,
            self.amount_usd,
            self.flagged_ids,
            self.weight,
            self.novel,
            None if self.max_ts == -math.inf else self.max_ts,
            self.applied,
        ]

    @classmethod
    def from_wire(cls, v: list[Any], start: int, applied: dict[str, Ranges] | None = None) -> Pane:
        """Also reads the shorter panes of earlier versions (every record relevant and novel;
        offsets kept per key, passed as ``applied``)."""
        max_ts = v[7] if len(v) > 7 else None
        return cls(
            v[0],
            v[1],
            list(v[2]),
            v[3],
            list(v[4]),
            float(v[5]) if len(v) > 5 else float(v[0]),
            list(v[6]) if len(v) > 6 else list(v[2]),
            float(start) if max_ts is None else float(max_ts),
            _ranges(v[8])
            if len(v) > 8
            else {s: [list(r) for r in rs] for s, rs in (applied or {}).items()},
        )

    @property
    def mean(self) -> float | None:
        return self.score_sum / self.weight if self.weight > 0 else None


@dataclass(slots=True)
class KeyState:
    kind: str = ""
    panes: dict[int, Pane] = field(default_factory=dict)
    alerts: dict[str, dict[str, Any]] = field(default_factory=dict)
    max_ts: float = -math.inf

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "panes": {str(k): p.to_wire() for k, p in self.panes.items()},
            "alerts": self.alerts,
            "max_ts": None if self.max_ts == -math.inf else self.max_ts,
        }

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> KeyState:
        """Also reads the whole-key states of earlier versions (offsets kept per key, which
        every pane inherits: a superset of its own is as safe)."""
        applied = {  # earliest versions kept one high-water offset per source
            source: [[0, int(v)]] if isinstance(v, int) else [list(r) for r in v]
            for source, v in raw.get("applied", {}).items()
        }
        panes = {
            int(k): Pane.from_wire(v, int(k), applied) for k, v in raw.get("panes", {}).items()
        }
        max_ts = raw.get("max_ts")
        return cls(
            raw.get("kind", ""),
            panes,
            dict(raw.get("alerts", {})),
            -math.inf if max_ts is None else max_ts,
        )


def _ranges(raw: dict[str, Any]) -> dict[str, Ranges]:
    return {source: [list(r) for r in ranges] for source, ranges in raw.items()}


@dataclass(frozen=True, slots=True)
class ApplyResult:
    applied: int
    duplicates: int
    late: int
    panes: frozenset[int] = frozenset()  # starts of the panes that changed or fell out


def apply_contributions(
    state: KeyState,
    contributions: Iterable[Contribution],
    pane_s: int,
    retention_s: int,
    sample_ids: int = 5,
    covered: dict[str, Ranges] | None = None,
    fresh: dict[int, dict[str, set[int]]] | None = None,
) -> ApplyResult:
    """Add contributions to ``state`` in place, skipping any whose source offset was applied
    to its pane.

    ``covered``: source offsets whose records are all in ``contributions`` or were applied
    before (the input batches these contributions came from, or every batch since the
    caller's state was loaded); remembering them keeps each pane's applied set a few merged
    ranges although the pane holds only some of the offsets.
    ``fresh``: a caller that applies one batch in several calls passes the same dict to each;
    the offsets first seen are collected there per pane (a record repeated within the batch is
    still a duplicate) and the caller merges them once, with ``remember``.
    """
    applied = duplicates = late = 0
    own = fresh is None
    seen_in_batch = fresh if fresh is not None else {}
    before = state.max_ts
    touched: set[int] = set()
    for c in contributions:
        start = int(c.ts // pane_s) * pane_s
        pane = state.panes.get(start)
        if c.offset in seen_in_batch.get(start, {}).get(c.source, ()) or (
            pane is not None and contains(pane.applied.get(c.source, []), c.offset)
        ):
            duplicates += 1
            continue
        seen_in_batch.setdefault(start, {}).setdefault(c.source, set()).add(c.offset)
        state.kind = c.kind
        if c.ts < state.max_ts - retention_s:
            late += 1  # older than anything kept: counted, not windowed
            continue
        if pane is None:
            pane = state.panes[start] = Pane()
        touched.add(start)
        if c.ts > pane.max_ts:
            pane.max_ts = c.ts
        pane.count += 1
        pane.score_sum += c.score * c.relevance
        pane.weight += c.relevance
        pane.classes[c.label] += 1
        if c.novel:
            pane.novel[c.label] += 1
        pane.amount_usd += c.amount_usd
        flagged = c.label == kind_named(c.kind).flagged
        if flagged and c.novel and len(pane.flagged_ids) < sample_ids:
            pane.flagged_ids.append(c.id)
        if c.ts > state.max_ts:
            state.max_ts = c.ts
        applied += 1
    if own:
        remember(state, seen_in_batch, covered)
    # Panes fall out only when the horizon enters a new pane (a pane added since the last
    # purge ends after the horizon: older records are late), so most calls skip the scan.
    horizon = state.max_ts - retention_s
    purged: list[int] = []
    if state.max_ts > before and (
        before == -math.inf or horizon // pane_s != (before - retention_s) // pane_s
    ):
        purged = [s for s in state.panes if s + pane_s <= horizon]
        for start in purged:
            del state.panes[start]
    return ApplyResult(applied, duplicates, late, frozenset(touched.union(purged)))


def remember(
    state: KeyState,
    fresh: dict[int, dict[str, set[int]]],
    covered: dict[str, Ranges] | None = None,
) -> None:
    """Merge a batch's newly applied offsets, per pane, into each pane's applied ranges, with
    the ``covered`` ranges of the sources it heard from (one merge per pane and source)."""
    covered = covered or {}
    for start, by_source in fresh.items():
        pane = state.panes.get(start)
        if pane is None:  # late (or fallen out since)
            continue
        for source in by_source.keys() | (covered.keys() & pane.applied.keys()):
            extra = runs(by_source.get(source, ())) + covered.get(source, [])
            if extra:
                pane.applied[source] = union(pane.applied.get(source, []), extra)


@dataclass(frozen=True, slots=True)
class WindowStats:
    start: int
    end: int
    count: int
    mean_score: float | None  # relevance-weighted
    classes: tuple[int, int, int]
    amount_usd: float
    flagged_ids: tuple[str, ...]
    novel: tuple[int, int, int] = (0, 0, 0)  # class counts of first stories

    @property
    def novel_count(self) -> int:
        return sum(self.novel)

    @property
    def negative_share(self) -> float | None:
        return self.classes[0] / self.count if self.count else None

    @property
    def high_risk_count(self) -> int:
        return self.classes[2]

    @property
    def high_risk_share(self) -> float | None:
        return self.classes[2] / self.count if self.count else None

    def metric(self, name: str) -> float | None:
        return WINDOW_METRICS[name](
            self.count, self.mean_score, self.classes, self.amount_usd, self.novel
        )


Metric = Callable[[int, float | None, Sequence[int], float, Sequence[int]], float | None]

# The metrics rules can watch, from a window's (or one pane's) count, mean score, class
# counts, amount and novel class counts; None where the metric needs records and there are
# none. ``novel_*``: first stories only, so a story syndicated twenty times counts once.
WINDOW_METRICS: dict[str, Metric] = {
    "count": lambda n, mean, classes, amount, novel: float(n),
    "mean_score": lambda n, mean, classes, amount, novel: mean,
    "negative_count": lambda n, mean, classes, amount, novel: float(classes[0]),
    "negative_share": lambda n, mean, classes, amount, novel: classes[0] / n if n else None,
    "high_risk_count": lambda n, mean, classes, amount, novel: float(classes[2]),
    "high_risk_share": lambda n, mean, classes, amount, novel: classes[2] / n if n else None,
    "amount_usd": lambda n, mean, classes, amount, novel: amount,
    "novel_count": lambda n, mean, classes, amount, novel: float(sum(novel)),
    "novel_negative_count": lambda n, mean, classes, amount, novel: float(novel[0]),
    "novel_negative_share": lambda n, mean, classes, amount, novel: (
        novel[0] / sum(novel) if sum(novel) else None
    ),
}


def _stats(state: KeyState, start: int, end: int, pane_s: int) -> WindowStats:
    panes = [state.panes[s] for s in range(start, end, pane_s) if s in state.panes]
    count = sum(p.count for p in panes)
    weight = sum(p.weight for p in panes)
    return WindowStats(
        start,
        end,
        count,
        sum(p.score_sum for p in panes) / weight if weight > 0 else None,
        (
            sum(p.classes[0] for p in panes),
            sum(p.classes[1] for p in panes),
            sum(p.classes[2] for p in panes),
        ),
        sum(p.amount_usd for p in panes),
        tuple(i for p in panes for i in p.flagged_ids),
        (
            sum(p.novel[0] for p in panes),
            sum(p.novel[1] for p in panes),
            sum(p.novel[2] for p in panes),
        ),
    )


def pane_value(state: KeyState, pane_start: int, metric: str) -> float:
    """``tumbling(...).metric(metric) or 0.0`` for one pane, without building the stats (the
    surge rule reads 30 past panes per key per batch: this is the worker's hottest loop)."""
    value_of = WINDOW_METRICS.get(metric)
    if value_of is None:
        msg = f"unknown window metric {metric!r}"
        raise KeyError(msg)
    p = state.panes.get(pane_start)
    if p is None or not p.count:
        return 0.0
    return value_of(p.count, p.mean, p.classes, p.amount_usd, p.novel) or 0.0


def tumbling(state: KeyState, pane_start: int, pane_s: int) -> WindowStats:
    return _stats(state, pane_start, pane_start + pane_s, pane_s)


def hopping(state: KeyState, pane_start: int, pane_s: int, size_s: int) -> WindowStats:
    """The hopping window of ``size_s`` that ends with the pane starting at ``pane_start``."""
    end = pane_start + pane_s
    return _stats(state, end - size_s, end, pane_s)
