"""``finsentry eval``: accuracy, macro-F1, per-class report and confusion matrix of a file."""

from __future__ import annotations

from models.datasets import LabelledTexts
from models.metrics import ClassificationReport, classification_report
from models.serving.runtime import Classifier

__all__ = ["evaluate"]


def evaluate(classifier: Classifier, data: LabelledTexts) -> tuple[ClassificationReport, int]:
    """Score every text; returns the report and how many texts could not be scored."""
    scores = classifier.scorer(data.task.name).score_batch(list(data.texts))
    pairs = [
        (y, data.task.labels.index(s.label))
        for y, s in zip(data.labels, scores, strict=True)
        if s.label is not None
    ]
    report = classification_report([p[0] for p in pairs], [p[1] for p in pairs], data.task.labels)
    return report, len(scores) - len(pairs)
