"""Paired comparison of two models on the same texts (synthetic probabilities)."""

from __future__ import annotations

import numpy as np
import pytest

from models.calibration import expected_calibration_error
from models.compare import compare, mcnemar_p
from models.metrics import classification_report


def _confident(labels: np.ndarray, wrong: np.ndarray, classes: int = 3) -> np.ndarray:
    """Probability 0.8 on the true label, or on the next one where ``wrong``."""
    picked = np.where(wrong, (labels + 1) % classes, labels)
    probs = np.full((len(labels), classes), 0.2 / (classes - 1))
    probs[np.arange(len(labels)), picked] = 0.8
    return probs


def test_mcnemar_exact_p_values():
    assert mcnemar_p(0, 0) == 1.0
    assert mcnemar_p(5, 5) == 1.0  # capped: the two-sided tails overlap
    assert mcnemar_p(10, 0) == pytest.approx(2 / 1024)
    assert mcnemar_p(0, 10) == mcnemar_p(10, 0)
    # 2 of 12 against 10: P(X <= 2) for Binomial(12, 1/2), both tails
    assert mcnemar_p(2, 10) == pytest.approx(2 * (1 + 12 + 66) / 4096)


def test_a_model_compared_with_itself_differs_by_exactly_nothing():
    rng = np.random.default_rng(1)
    labels = rng.integers(0, 3, 300)
    probs = _confident(labels, rng.random(300) < 0.2)
    result = compare(probs, probs, labels, rounds=200)
    assert (result.only_this_right, result.only_other_right, result.mcnemar_p) == (0, 0, 1.0)
    for d in result.differences:
        assert d.delta == 0 and d.low == 0 and d.high == 0


def test_a_better_model_on_the_same_texts_is_told_apart_and_by_how_much():
    rng = np.random.default_rng(2)
    labels = rng.integers(0, 3, 1000)
    noise = rng.random(1000)
    better = _confident(labels, noise < 0.10)  # its mistakes are a subset of the other's
    worse = _confident(labels, noise < 0.16)
    result = compare(better, worse, labels, rounds=300)
    accuracy, macro_f1, _ = result.differences
    fixed = int(((noise >= 0.10) & (noise < 0.16)).sum())
    assert (result.only_this_right, result.only_other_right) == (fixed, 0)
    assert accuracy.delta == pytest.approx(accuracy.this - accuracy.other)
    assert 0 < accuracy.low < accuracy.delta < accuracy.high
    assert macro_f1.low > 0 and result.mcnemar_p < 1e-6
    # and the other way round, the interval flips sign
    back = compare(worse, better, labels, rounds=300).differences[0]
    assert back.high < 0 and back.delta == pytest.approx(-accuracy.delta)


def test_the_figures_are_the_metrics_of_the_whole_set():
    rng = np.random.default_rng(3)
    labels = rng.integers(0, 3, 400)
    this = rng.dirichlet(np.ones(3), 400)
    other = _confident(labels, rng.random(400) < 0.3)
    result = compare(this, other, labels, rounds=50)
    report = classification_report(labels.tolist(), this.argmax(axis=1).tolist(), ("a", "b", "c"))
    accuracy, macro_f1, ece = result.differences
    assert accuracy.this == pytest.approx(report.accuracy)
    assert macro_f1.this == pytest.approx(report.macro_f1)
    assert ece.this == pytest.approx(expected_calibration_error(this, labels))
    assert ece.other == pytest.approx(expected_calibration_error(other, labels))
    assert result.to_dict()["differences"]["macro_f1"]["this"] == round(report.macro_f1, 4)


def test_unaligned_inputs_are_refused():
    labels = np.array([0, 1, 2])
    probs = np.eye(3)
    with pytest.raises(ValueError, match="same texts"):
        compare(probs, probs[:2], labels)
    with pytest.raises(ValueError, match="same texts"):
        compare(probs[:0], probs[:0], labels[:0])
