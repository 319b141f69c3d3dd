"""``finsentry eval``: accuracy, macro-F1, per-class report, confusion matrix and calibration
(ECE, reliability diagram) of a file; ``logits_of`` for fitting a temperature."""

from __future__ import annotations

import numpy as np

from models.datasets import LabelledTexts
from models.metrics import ClassificationReport, classification_report
from models.serving.runtime import Classifier
from models.text import clean_text

__all__ = ["evaluate", "logits_of", "probabilities_of"]


def probabilities_of(
    data: LabelledTexts, *classifiers: Classifier
) -> tuple[list[np.ndarray], np.ndarray, int]:
    """Each classifier's probabilities on the texts every one of them scored (rows aligned, so
    two models pair text by text), those texts' labels, and how many texts were left out."""
    every = [_every_probability(classifier, data) for classifier in classifiers]
    scored = np.logical_and.reduce([ok for _, ok in every])
    labels = np.asarray(data.labels, dtype=np.int64)[scored]
    return [probs[scored] for probs, _ in every], labels, int((~scored).sum())


def _every_probability(
    classifier: Classifier, data: LabelledTexts
) -> tuple[np.ndarray, np.ndarray]:
    """Probabilities for every text, in order (NaN rows where a text did not score), and the
    mask of those that scored."""
    scores = classifier.scorer(data.task.name).score_batch(list(data.texts))
    probs = np.full((len(scores), len(data.task.labels)), np.nan)
    for row, s in enumerate(scores):
        if s.label is not None:
            probs[row] = [s.probabilities[name] for name in data.task.labels]
    return probs, ~np.isnan(probs).any(axis=1)


def evaluate(classifier: Classifier, data: LabelledTexts) -> tuple[ClassificationReport, int]:
    """Score every text; returns the report and how many texts could not be scored."""
    (probs,), labels, unscored = probabilities_of(data, classifier)
    report = classification_report(labels.tolist(), probs.argmax(axis=1).tolist(), data.task.labels)
    return report, unscored


def logits_of(classifier: Classifier, data: LabelledTexts) -> tuple[np.ndarray, np.ndarray]:
    """Uncalibrated head logits and labels of the texts that encode (for fitting ``T``)."""
    task = data.task.name
    ids = classifier.encode([clean_text(t) for t in data.texts])  # as score_batch does
    keep = [i for i, seq in enumerate(ids) if seq]
    pooled, errors = classifier.embed([ids[i] for i in keep])
    good = [row for row, e in enumerate(errors) if e is None]
    logits = classifier.logits(task, pooled[good])
    labels = np.array([data.labels[keep[row]] for row in good])
    return logits, labels
