"""Is one model better than another on the same texts? Paired differences with intervals.

Two candidate models usually differ by a point or two; on ~1,000 held-out texts that is about
what sampling alone moves a single model's accuracy. Comparing each model's figure with its own
interval overstates the doubt (the two share their texts), and comparing bare figures hides it.
So the texts are resampled once per bootstrap round for *both* models and the difference is
taken inside the round: its 90 % interval is the interval of the difference itself. McNemar's
exact test looks only at the texts exactly one of the two gets right, and says how often a split
at least that uneven would come from two equally good models (two-sided).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from models.calibration import expected_calibration_error
from models.metrics import classification_report

__all__ = ["Comparison", "Difference", "compare", "mcnemar_p"]


@dataclass(frozen=True, slots=True)
class Difference:
    """One metric for both models, and the 90 % paired-bootstrap interval of ``this − other``."""

    metric: str  # accuracy | macro_f1 | ece (lower is better)
    this: float
    other: float
    low: float
    high: float

    @property
    def delta(self) -> float:
        return self.this - self.other


@dataclass(frozen=True, slots=True)
class Comparison:
    texts: int
    only_this_right: int
    only_other_right: int
    mcnemar_p: float
    differences: tuple[Difference, ...]

    def to_dict(self) -> dict[str, object]:
        return {
            "texts": self.texts,
            "only_this_right": self.only_this_right,
            "only_other_right": self.only_other_right,
            "mcnemar_p": round(self.mcnemar_p, 4),
            "differences": {
                d.metric: {
                    "this": round(d.this, 4),
                    "other": round(d.other, 4),
                    "delta": round(d.delta, 4),
                    "interval_90": [round(d.low, 4), round(d.high, 4)],
                }
                for d in self.differences
            },
        }


def mcnemar_p(only_this: int, only_other: int) -> float:
    """Exact two-sided McNemar p-value: under equal models each discordant text is a fair coin."""
    n = only_this + only_other
    if n == 0:
        return 1.0
    tail = sum(math.comb(n, i) for i in range(min(only_this, only_other) + 1))
    return min(1.0, 2 * tail / 2**n)


def _metrics(probs: np.ndarray, labels: np.ndarray) -> tuple[float, float, float]:
    predicted = probs.argmax(axis=1)
    return (
        float((predicted == labels).mean()),
        classification_report(
            labels.tolist(), predicted.tolist(), [str(c) for c in range(probs.shape[1])]
        ).macro_f1,
        expected_calibration_error(probs, labels),
    )


def compare(
    this: np.ndarray, other: np.ndarray, labels: np.ndarray, rounds: int = 1000, seed: int = 0
) -> Comparison:
    """``this`` and ``other``: each model's probabilities on the same texts (rows aligned with
    ``labels``)."""
    if this.shape != other.shape or len(labels) != len(this) or not len(labels):
        msg = f"compare needs both models' probabilities on the same texts: {this.shape}, "
        msg += f"{other.shape}, {len(labels)} labels"
        raise ValueError(msg)
    right_this = this.argmax(axis=1) == labels
    right_other = other.argmax(axis=1) == labels
    only_this = int((right_this & ~right_other).sum())
    only_other = int((right_other & ~right_this).sum())
    rng = np.random.default_rng(seed)
    n = len(labels)
    deltas = []
    for _ in range(rounds):
        pick = rng.integers(0, n, n)
        a, b = _metrics(this[pick], labels[pick]), _metrics(other[pick], labels[pick])
        deltas.append([x - y for x, y in zip(a, b, strict=True)])
    low, high = np.percentile(np.array(deltas), [5, 95], axis=0)
    differences = tuple(
        Difference(name, x, y, float(lo), float(hi))
        for name, x, y, lo, hi in zip(
            ("accuracy", "macro_f1", "ece"),
            _metrics(this, labels),
            _metrics(other, labels),
            low,
            high,
            strict=True,
        )
    )
    return Comparison(n, only_this, only_other, mcnemar_p(only_this, only_other), differences)
