"""Score drift: a reference distribution per task (stored in the manifest) and the population
stability index (PSI) of live scores against it.

The reference is what the model predicts on its validation split, calibrated as it serves:
the share of each predicted class and a histogram of the signed score on fixed bins. PSI =
Σ (live − ref) · ln(live / ref) over the bins, with every share floored at ``EPS`` so an
empty bin does not make it infinite. The usual reading: < 0.1 stable, 0.1–0.25 a shift worth
a look, > 0.25 the input is not what the model was validated on.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["EPS", "SCORE_EDGES", "Reference", "histogram", "psi"]

EPS = 1e-4
SCORE_EDGES: tuple[float, ...] = tuple(round(-1 + 0.1 * i, 1) for i in range(21))  # [-1, 1]


def histogram(scores: Sequence[float] | np.ndarray, edges: Sequence[float]) -> list[float]:
    """Shares of ``scores`` per bin of ``edges`` (values outside go to the end bins)."""
    values = np.clip(np.asarray(scores, dtype=np.float64), edges[0], edges[-1])
    counts, _ = np.histogram(values, bins=np.asarray(edges, dtype=np.float64))
    total = max(1, int(counts.sum()))
    return [round(float(c) / total, 6) for c in counts]


def psi(expected: Sequence[float], actual: Sequence[float]) -> float:
    """Population stability index of two share vectors of the same bins."""
    if len(expected) != len(actual):
        msg = f"PSI of {len(expected)} reference bins against {len(actual)} live bins"
        raise ValueError(msg)
    total = 0.0
    for e, a in zip(expected, actual, strict=True):
        e, a = max(e, EPS), max(a, EPS)
        total += (a - e) * math.log(a / e)
    return total


@dataclass(frozen=True)
class Reference:
    """One task's reference distribution (the manifest's ``tasks[task]["reference"]``)."""

    classes: dict[str, float]  # predicted class -> share
    score_edges: tuple[float, ...]
    score_shares: tuple[float, ...]
    texts: int  # how many validation texts it was built from

    @classmethod
    def build(
        cls, labels: Sequence[str], scores: Sequence[float], classes: Sequence[str]
    ) -> Reference:
        n = max(1, len(labels))
        shares = {c: round(sum(1 for x in labels if x == c) / n, 6) for c in classes}
        return cls(shares, SCORE_EDGES, tuple(histogram(scores, SCORE_EDGES)), len(labels))

    @classmethod
    def from_manifest(cls, task: dict[str, Any]) -> Reference | None:
        raw = task.get("reference")
        if not isinstance(raw, dict):
            return None
        return cls(
            {str(k): float(v) for k, v in raw["classes"].items()},
            tuple(float(x) for x in raw["score_edges"]),
            tuple(float(x) for x in raw["score_shares"]),
            int(raw.get("texts", 0)),
        )

    def to_manifest(self) -> dict[str, Any]:
        return {
            "classes": self.classes,
            "score_edges": list(self.score_edges),
            "score_shares": list(self.score_shares),
            "texts": self.texts,
        }

    def score_psi(self, scores: Sequence[float]) -> float:
        return psi(self.score_shares, histogram(scores, self.score_edges))

    def class_psi(self, labels: Sequence[str]) -> float:
        n = max(1, len(labels))
        live = [sum(1 for x in labels if x == c) / n for c in self.classes]
        return psi(list(self.classes.values()), live)
