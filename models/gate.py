"""The promotion gate: is a candidate model at least as good as the one serving?

On the frozen validation split (the one training held out: no choice ever saw it) the
candidate may lose at most ``tolerance`` accuracy per task (0.005: half a point); on the
analysts' feedback rows it must be strictly better than the serving model (it was retrained
to fix them). Both are measured here, side by side, on the same texts; each row also carries
the 90 % paired-bootstrap interval of the accuracy difference (``models.compare``), so the
operator sees how small a difference the split can tell from none.
"""

from __future__ import annotations

from dataclasses import dataclass

from models.compare import compare
from models.datasets import LabelledTexts
from models.evaluate import probabilities_of
from models.serving.runtime import Classifier

__all__ = ["GateResult", "GateRow", "promotion_gate"]


@dataclass(frozen=True)
class GateRow:
    split: str  # validation | feedback
    task: str
    texts: int
    current_accuracy: float
    candidate_accuracy: float
    current_macro_f1: float
    candidate_macro_f1: float
    delta_interval: tuple[float, float]  # 90 %, paired bootstrap, of candidate − current

    @property
    def delta(self) -> float:
        return self.candidate_accuracy - self.current_accuracy


@dataclass(frozen=True)
class GateResult:
    rows: tuple[GateRow, ...]
    refusals: tuple[str, ...]  # empty: the candidate may be promoted

    @property
    def passed(self) -> bool:
        return not self.refusals


def promotion_gate(
    current: Classifier,
    candidate: Classifier,
    validation: dict[str, LabelledTexts],
    feedback: dict[str, LabelledTexts] | None = None,
    tolerance: float = 0.005,
) -> GateResult:
    rows, refusals = [], []
    for split, sets in (("validation", validation), ("feedback", feedback or {})):
        for task, data in sets.items():
            if not len(data) or task not in candidate.manifest.tasks:
                continue
            (now, new), labels, _ = probabilities_of(data, current, candidate)
            if not len(labels):
                refusals.append(f"{task} {split}: the two models scored none of the same texts")
                continue
            paired = compare(new, now, labels, rounds=500)
            accuracy, macro_f1, _ = paired.differences
            row = GateRow(split, task, len(data), accuracy.other, accuracy.this,
                          macro_f1.other, macro_f1.this, (accuracy.low, accuracy.high))  # fmt: skip
            rows.append(row)
            if split == "validation" and row.delta < -tolerance:
                refusals.append(
                    f"{task} validation accuracy {row.candidate_accuracy:.4f} is "
                    f"{-row.delta * 100:.1f} points below the serving model's "
                    f"{row.current_accuracy:.4f} (at most {tolerance * 100:.1f} allowed)"
                )
            if split == "feedback" and row.delta <= 0:
                refusals.append(
                    f"{task} feedback accuracy {row.candidate_accuracy:.4f} is not above the "
                    f"serving model's {row.current_accuracy:.4f}: the corrections are not learnt"
                )
    return GateResult(tuple(rows), tuple(refusals))
