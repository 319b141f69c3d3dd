"""GPU serving: runs only where onnxruntime's CUDA provider loads (pytest -m gpu)."""

from __future__ import annotations

import numpy as np
import pytest

from models.serving.runtime import Classifier

pytestmark = pytest.mark.gpu

TEXTS = [
    "Company beats earnings estimates and raises guidance",
    "Shares plunge after regulators open fraud probe",
    "Board meeting set for Tuesday",
]


def test_cuda_fp16_serves_and_agrees_with_cpu_int8():
    gpu = Classifier.load(provider="cuda")
    assert gpu.provider == "CUDAExecutionProvider" and gpu.variant == "fp16"
    cpu = Classifier.load(provider="cpu")
    a = gpu.scorer("news").score_batch(TEXTS)
    b = cpu.scorer("news").score_batch(TEXTS)
    assert [s.label for s in a] == [s.label for s in b]
    pa = np.array([list(s.probabilities.values()) for s in a])
    pb = np.array([list(s.probabilities.values()) for s in b])
    assert np.abs(pa - pb).max() < 0.05


def test_auto_picks_the_gpu():
    assert Classifier.load().provider == "CUDAExecutionProvider"
