import numpy as np
import pytest

from models.calibration import (
    Calibration,
    ece_spread,
    expected_calibration_error,
    fit_temperature,
    reliability_diagram,
    softmax,
)


def _overconfident(n=6000, true_t=2.5, seed=0):
    """Labels drawn from softmax(z); the model reports z * true_t: over-confident by true_t."""
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(n, 3)) * 1.5
    p = softmax(z)
    labels = np.array([rng.choice(3, p=row) for row in p])
    return z * true_t, labels


def test_the_fitted_temperature_recovers_the_overconfidence():
    logits, labels = _overconfident()
    assert fit_temperature(logits, labels) == pytest.approx(2.5, rel=0.1)


def test_calibration_lowers_ece_and_keeps_the_predictions():
    logits, labels = _overconfident()
    c = Calibration.fit("news", logits[:3000], labels[:3000], logits[3000:], labels[3000:])
    assert c.ece_after < 0.03 < c.ece_before
    assert c.mean_confidence_after < c.mean_confidence_before
    same = softmax(logits[3000:]).argmax(1) == softmax(logits[3000:], c.temperature).argmax(1)
    assert same.all() and (c.fitted_on, c.checked_on) == (3000, 3000)


def test_ece_is_zero_for_a_perfect_and_large_for_a_wrong_confident_model():
    labels = np.array([0, 1, 2, 0])
    right = np.eye(3)[labels]
    assert expected_calibration_error(right, labels) == 0.0
    wrong = np.eye(3)[(labels + 1) % 3]
    assert expected_calibration_error(wrong, labels) == pytest.approx(1.0)


def test_the_ece_spread_separates_a_small_sample_from_a_miscalibrated_model():
    logits, labels = _overconfident(n=1000)
    honest = softmax(logits, 2.5)  # the true probabilities: perfectly calibrated
    spread = ece_spread(honest, labels, rounds=200)
    measured = expected_calibration_error(honest, labels)
    assert spread.low <= measured <= spread.high
    # on 1,000 texts a perfect model still shows an ECE of a few hundredths, and this one's
    # measured ECE is of that size
    assert 0.005 < spread.floor < 0.05 and measured < 3 * spread.floor
    loud = softmax(logits)  # over-confident by 2.5
    over = ece_spread(loud, labels, rounds=200)
    assert expected_calibration_error(loud, labels) > 3 * over.floor and over.low > spread.high
    assert ece_spread(honest, labels, rounds=200) == spread  # seeded


def test_the_reliability_diagram_is_a_png(tmp_path):
    logits, labels = _overconfident(600)
    path = reliability_diagram(
        {"raw": softmax(logits), "T=2.5": softmax(logits, 2.5)}, labels, tmp_path / "r.png", "t"
    )
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 10_000


def test_the_runtime_applies_the_manifest_temperature(shipped_classifier, monkeypatch):
    clf = shipped_classifier
    pooled, _ = clf.embed(clf.encode(["Apple beats estimates", "Shares fall on weak sales"]))
    monkeypatch.setitem(clf.manifest.tasks["news"], "temperature", 1.0)
    raw = clf.probabilities("news", pooled)
    monkeypatch.setitem(clf.manifest.tasks["news"], "temperature", 3.0)
    soft = clf.probabilities("news", pooled)
    assert (raw.argmax(1) == soft.argmax(1)).all()
    assert (soft.max(1) < raw.max(1)).all()
    assert soft == pytest.approx(softmax(clf.logits("news", pooled), 3.0), abs=1e-6)


def test_a_task_without_errors_keeps_temperature_one():
    labels = np.array([0, 1, 2] * 50)
    logits = np.eye(3)[labels] * 8.0
    c = Calibration.fit("transactions", logits, labels, logits, labels)
    assert c.temperature == 1.0 and c.accuracy == 1.0
