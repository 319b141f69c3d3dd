"""PSI and the drift reference the manifest stores."""

from __future__ import annotations

import math

import pytest

from models.drift import EPS, SCORE_EDGES, Reference, histogram, psi
from models.serving.manifest import Manifest
from models.serving.runtime import shipped_model_dir


def test_psi_is_zero_for_equal_shares_and_grows_with_the_shift():
    ref = [0.2, 0.6, 0.2]
    assert psi(ref, ref) == 0
    small, large = psi(ref, [0.25, 0.5, 0.25]), psi(ref, [0.8, 0.1, 0.1])
    assert 0 < small < 0.1 < 0.25 < large
    # an empty live bin is floored, not infinite
    assert math.isfinite(psi(ref, [0.0, 1.0, 0.0]))
    assert psi([1.0, 0.0], [0.0, 1.0]) == pytest.approx(2 * (1 - EPS) * math.log(1 / EPS))
    with pytest.raises(ValueError, match="3 reference bins against 2"):
        psi(ref, [0.5, 0.5])


def test_histogram_clips_to_the_end_bins():
    shares = histogram([-5.0, -1.0, 0.05, 1.0, 7.0], SCORE_EDGES)
    assert len(shares) == len(SCORE_EDGES) - 1 and sum(shares) == pytest.approx(1)
    assert shares[0] == pytest.approx(0.4) and shares[-1] == pytest.approx(0.4)


def test_reference_round_trips_and_compares_live_records():
    labels = ["neutral"] * 60 + ["negative"] * 20 + ["positive"] * 20
    scores = [0.0] * 60 + [-0.9] * 20 + [0.9] * 20
    ref = Reference.build(labels, scores, ("negative", "neutral", "positive"))
    again = Reference.from_manifest({"reference": ref.to_manifest()})
    assert again == ref and ref.classes["neutral"] == 0.6 and ref.texts == 100
    assert ref.class_psi(labels) == pytest.approx(0)
    assert ref.score_psi(scores) == pytest.approx(0)
    assert ref.class_psi(["negative"] * 50) > 1
    assert Reference.from_manifest({}) is None


def test_the_shipped_model_carries_a_reference_per_task():
    manifest = Manifest.load(shipped_model_dir())
    for name, task in manifest.tasks.items():
        ref = Reference.from_manifest(task)
        assert ref is not None, name
        assert set(ref.classes) == set(task["labels"])
        assert sum(ref.classes.values()) == pytest.approx(1, abs=1e-4)
        assert sum(ref.score_shares) == pytest.approx(1, abs=1e-4) and ref.texts > 500
