"""Variants rebuilt from the shipped int8 graph: fp32 (dequantized) and fp16 (for the GPU)."""

from __future__ import annotations

import numpy as np
import pytest

from models.serving.manifest import Manifest, sha256_file
from models.serving.providers import choose_session
from models.serving.runtime import Classifier, shipped_model_dir
from models.serving.variants import materialise_variant

pytestmark = pytest.mark.slow

TEXTS = [
    "Company beats earnings estimates",
    "Shares plunge on fraud probe",
    "Board to meet on Tuesday",
    "$AAPL new product launch next week",
]


def test_fp16_rebuild_matches_the_manifest_hash_and_agrees_with_int8(tmp_path):
    manifest = Manifest.load(shipped_model_dir())
    path = materialise_variant(manifest, "fp16", tmp_path)
    assert sha256_file(path) == manifest.variants["fp16"]["derived_sha256"]
    # cached: a second call reuses the file
    assert materialise_variant(manifest, "fp16", tmp_path) == path
    fp16 = Classifier(
        manifest,
        choose_session(manifest, provider="cpu", variant="fp16", threads=2, cache_dir=tmp_path),
    )
    int8 = Classifier(manifest, choose_session(manifest, provider="cpu", variant="int8", threads=2))
    a = np.array([list(s.probabilities.values()) for s in fp16.scorer("news").score_batch(TEXTS)])
    b = np.array([list(s.probabilities.values()) for s in int8.scorer("news").score_batch(TEXTS)])
    assert (a.argmax(1) == b.argmax(1)).all()
    assert np.abs(a - b).max() < 0.05


def test_tampered_cache_is_rebuilt(tmp_path):
    manifest = Manifest.load(shipped_model_dir())
    path = materialise_variant(manifest, "fp16", tmp_path)
    path.write_bytes(b"garbage")
    again = materialise_variant(manifest, "fp16", tmp_path)
    assert sha256_file(again) == manifest.variants["fp16"]["derived_sha256"]
