"""The two classification tasks: their labels and how probabilities become one signed score."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from models.errors import UnknownTaskError

__all__ = ["NEWS", "TASKS", "TRANSACTIONS", "TaskName", "TaskSpec", "get_task"]

TaskName = Literal["news", "transactions"]


@dataclass(frozen=True, slots=True)
class TaskSpec:
    """A task's label order (the model's output order) and its score definition."""

    name: TaskName
    labels: tuple[str, ...]
    score_kind: Literal["pos_minus_neg", "expected_risk"]

    def signed_score(self, probabilities: Sequence[float]) -> float:
        """news: P(positive) - P(negative) in [-1, 1]; transactions: expected risk in [0, 1]."""
        if self.score_kind == "pos_minus_neg":
            return float(probabilities[2] - probabilities[0])
        # low=0, medium=0.5, high=1
        return float(0.5 * probabilities[1] + probabilities[2])


NEWS = TaskSpec("news", ("negative", "neutral", "positive"), "pos_minus_neg")
TRANSACTIONS = TaskSpec("transactions", ("low", "medium", "high"), "expected_risk")
TASKS: dict[str, TaskSpec] = {NEWS.name: NEWS, TRANSACTIONS.name: TRANSACTIONS}


def get_task(name: str) -> TaskSpec:
    try:
        return TASKS[name]
    except KeyError:
        msg = f"unknown task {name!r}: use one of {', '.join(TASKS)}"
        raise UnknownTaskError(msg) from None
