"""``--compare``: the same records scored by two models, and what changed between them.

Kept as running totals (plus a bounded list of the largest shifts), so it streams like the
rest of the run and survives a checkpoint.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from models.serving.runtime import Score
from stream.records import ScoredEvent

__all__ = ["Comparison"]


@dataclass(slots=True)
class Comparison:
    """Primary model (A, the run's model) against the compared one (B)."""

    version_a: str
    version_b: str
    top_k: int = 20
    labels: dict[str, list[str]] = field(default_factory=dict)  # kind -> label order
    confusion: dict[str, list[list[int]]] = field(default_factory=dict)  # rows A, cols B
    total: int = 0
    shift_sum: float = 0.0
    abs_shift_sum: float = 0.0
    largest: list[tuple[float, str, str, str, str, str, float, float]] = field(
        default_factory=list
    )  # heap of (|shift|, id, kind, text, label A, label B, score A, score B)
    topics: dict[str, list[float]] = field(default_factory=dict)  # topic -> [shift sum, n]

    def add(
        self,
        kind: str,
        events: Sequence[ScoredEvent],
        texts: Sequence[str],
        others: Sequence[Score],
    ) -> None:
        """``events`` (model A) with their model texts and model B's scores, aligned."""
        for event, text, other in zip(events, texts, others, strict=True):
            if other.label is None or other.score is None:
                continue
            labels = self.labels.setdefault(kind, list(event.probabilities))
            matrix = self.confusion.setdefault(kind, [[0] * len(labels) for _ in labels])
            matrix[labels.index(event.label)][labels.index(other.label)] += 1
            shift = other.score - event.score
            self.total += 1
            self.shift_sum += shift
            self.abs_shift_sum += abs(shift)
            item = (abs(shift), event.id, kind, text[:300], event.label, other.label,
                    event.score, other.score)  # fmt: skip
            if len(self.largest) < self.top_k:
                heapq.heappush(self.largest, item)
            elif item[0] > self.largest[0][0]:
                heapq.heapreplace(self.largest, item)
            for topic in event.keys:
                acc = self.topics.setdefault(topic, [0.0, 0.0])
                acc[0] += shift
                acc[1] += 1

    def report(self, top_topics: int = 50) -> dict[str, Any]:
        flips: dict[str, int] = {}
        agree = 0
        for kind, matrix in self.confusion.items():
            labels = self.labels[kind]
            for i, row in enumerate(matrix):
                for j, n in enumerate(row):
                    if i == j:
                        agree += n
                    elif n:
                        flips[f"{labels[i]}->{labels[j]}"] = n
        topics = sorted(
            ((t, s / n, int(n)) for t, (s, n) in self.topics.items() if n),
            key=lambda x: -abs(x[1]),
        )[:top_topics]
        return {
            "model_a": self.version_a,
            "model_b": self.version_b,
            "records": self.total,
            "agreement": agree / self.total if self.total else None,
            "label_flips": dict(sorted(flips.items(), key=lambda kv: -kv[1])),
            "confusion": {
                kind: {"labels": self.labels[kind], "rows_a_cols_b": matrix}
                for kind, matrix in self.confusion.items()
            },
            "mean_shift": self.shift_sum / self.total if self.total else None,
            "mean_abs_shift": self.abs_shift_sum / self.total if self.total else None,
            "largest_shifts": [
                {
                    "id": i,
                    "kind": k,
                    "text": t,
                    "label_a": la,
                    "label_b": lb,
                    "score_a": sa,
                    "score_b": sb,
                    "shift": sb - sa,
                }
                for _, i, k, t, la, lb, sa, sb in sorted(self.largest, reverse=True)
            ],
            "topic_mean_shift": [{"topic": t, "mean_shift": m, "records": n} for t, m, n in topics],
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "labels": self.labels,
            "confusion": self.confusion,
            "total": self.total,
            "shift_sum": self.shift_sum,
            "abs_shift_sum": self.abs_shift_sum,
            "largest": [list(x) for x in self.largest],
            "topics": self.topics,
        }

    def restore(self, raw: dict[str, Any] | None) -> None:
        if not raw:
            return
        self.labels = raw["labels"]
        self.confusion = raw["confusion"]
        self.total = raw["total"]
        self.shift_sum = raw["shift_sum"]
        self.abs_shift_sum = raw["abs_shift_sum"]
        self.largest = [tuple(x) for x in raw["largest"]]
        heapq.heapify(self.largest)
        self.topics = raw["topics"]
