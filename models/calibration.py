"""Honest confidence: temperature scaling, expected calibration error, reliability diagrams.

A fine-tuned classifier is over-confident: its top probability is higher than how often it is
right. Temperature scaling (Guo et al., 2017) divides each task's logits by one number ``T``
fitted to minimise the negative log-likelihood on a split training did not fit; the argmax,
so accuracy, does not change. The runtime applies ``T`` from the manifest
(``tasks.<task>.temperature``) for every variant, CPU and GPU alike.

ECE (10 equal-width bins of the top probability): the mean gap between confidence and
accuracy, weighted by how many predictions fall in each bin.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = [
    "Calibration",
    "expected_calibration_error",
    "fit_temperature",
    "reliability_diagram",
    "softmax",
]


def softmax(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    z = logits / temperature
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def _nll(logits: np.ndarray, labels: np.ndarray, temperature: float) -> float:
    p = softmax(logits, temperature)[np.arange(len(labels)), labels]
    return float(-np.log(np.clip(p, 1e-12, 1.0)).mean())


def fit_temperature(
    logits: np.ndarray, labels: np.ndarray, low: float = 0.05, high: float = 20.0
) -> float:
    """The ``T`` in [low, high] that minimises the NLL (golden-section search on log T: the
    NLL is unimodal in T)."""
    a, b = math.log(low), math.log(high)
    ratio = (math.sqrt(5) - 1) / 2
    c, d = b - ratio * (b - a), a + ratio * (b - a)
    fc, fd = _nll(logits, labels, math.exp(c)), _nll(logits, labels, math.exp(d))
    for _ in range(60):
        if fc < fd:
            b, d, fd = d, c, fc
            c = b - ratio * (b - a)
            fc = _nll(logits, labels, math.exp(c))
        else:
            a, c, fc = c, d, fd
            d = a + ratio * (b - a)
            fd = _nll(logits, labels, math.exp(d))
    return round(math.exp((a + b) / 2), 4)


def expected_calibration_error(probs: np.ndarray, labels: np.ndarray, bins: int = 10) -> float:
    confidence = probs.max(axis=1)
    correct = probs.argmax(axis=1) == labels
    edges = np.linspace(0.0, 1.0, bins + 1)
    ece = 0.0
    for lo, hi in itertools.pairwise(edges):
        inside = (confidence > lo) & (confidence <= hi)
        if inside.any():
            ece += inside.mean() * abs(correct[inside].mean() - confidence[inside].mean())
    return float(ece)


@dataclass(frozen=True, slots=True)
class EceSpread:
    """How far an ECE measured on ``n`` examples can be trusted.

    ``low``/``high``: the 90 % bootstrap interval of the measured ECE (examples resampled);
    ``floor``: the median ECE a perfectly calibrated model with these confidences would show on
    ``n`` examples (labels drawn from its own probabilities) — binning and sampling alone give
    that much, so an ECE near the floor cannot be told from perfect calibration at this size.
    """

    low: float
    high: float
    floor: float


def ece_spread(
    probs: np.ndarray, labels: np.ndarray, rounds: int = 500, seed: int = 0
) -> EceSpread:
    rng = np.random.default_rng(seed)
    n = len(labels)
    resampled = []
    for _ in range(rounds):
        pick = rng.integers(0, n, n)
        resampled.append(expected_calibration_error(probs[pick], labels[pick]))
    cumulative = np.cumsum(probs, axis=1)
    cumulative[:, -1] = 1.0
    perfect = []
    for _ in range(rounds):  # labels drawn from the model's own probabilities
        drawn = (rng.random((n, 1)) > cumulative).sum(axis=1)
        perfect.append(expected_calibration_error(probs, drawn))
    low, high = np.percentile(resampled, [5, 95])
    return EceSpread(
        round(float(low), 4), round(float(high), 4), round(float(np.median(perfect)), 4)
    )


@dataclass(frozen=True, slots=True)
class Calibration:
    """One task's temperature and what it did on the split it was checked on."""

    task: str
    temperature: float
    fitted_on: int  # examples the temperature was fitted on
    checked_on: int  # other examples, where the ECEs below were measured
    ece_before: float
    ece_after: float
    mean_confidence_before: float
    mean_confidence_after: float
    accuracy: float

    @classmethod
    def fit(
        cls,
        task: str,
        fit_logits: np.ndarray,
        fit_labels: np.ndarray,
        check_logits: np.ndarray,
        check_labels: np.ndarray,
    ) -> Calibration:
        # A task the model never gets wrong (the simulated transactions) would be sharpened
        # without bound: no evidence of over- or under-confidence, so it stays at 1.
        separable = bool((fit_logits.argmax(axis=1) == fit_labels).all())
        t = 1.0 if separable else fit_temperature(fit_logits, fit_labels)
        before, after = softmax(check_logits), softmax(check_logits, t)
        return cls(
            task,
            t,
            len(fit_labels),
            len(check_labels),
            round(expected_calibration_error(before, check_labels), 4),
            round(expected_calibration_error(after, check_labels), 4),
            round(float(before.max(axis=1).mean()), 4),
            round(float(after.max(axis=1).mean()), 4),
            round(float((after.argmax(axis=1) == check_labels).mean()), 4),
        )


def reliability_diagram(
    curves: dict[str, np.ndarray], labels: np.ndarray, path: Path, title: str, bins: int = 10
) -> Path:
    """Accuracy against confidence per bin for each named set of probabilities (e.g. before
    and after calibration), with the ECE in the legend and the share of predictions per bin
    below; a PNG at ``path``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    edges = np.linspace(0.0, 1.0, bins + 1)
    centres = (edges[:-1] + edges[1:]) / 2
    fig, (top, bottom) = plt.subplots(
        2, 1, figsize=(6, 7), sharex=True, gridspec_kw={"height_ratios": [3, 1]}
    )
    top.plot([0, 1], [0, 1], color="grey", linestyle="--", linewidth=1, label="perfect")
    width = 1.0 / bins / (len(curves) + 1)
    for k, (name, probs) in enumerate(curves.items()):
        confidence = probs.max(axis=1)
        correct = probs.argmax(axis=1) == labels
        accuracy, share = [], []
        for lo, hi in itertools.pairwise(edges):
            inside = (confidence > lo) & (confidence <= hi)
            accuracy.append(correct[inside].mean() if inside.any() else np.nan)
            share.append(inside.mean())
        ece = expected_calibration_error(probs, labels, bins)
        top.plot(centres, accuracy, marker="o", label=f"{name}\nECE {ece:.3f}")
        bottom.bar(centres + (k - (len(curves) - 1) / 2) * width, share, width=width, label=name)
    top.set_ylabel("accuracy")
    top.set_xlim(0, 1)
    top.set_ylim(0, 1)
    top.set_title(title)
    top.legend(loc="upper left", fontsize="small")  # model versions are long
    bottom.set_xlabel("confidence (top probability)")
    bottom.set_ylabel("share")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
