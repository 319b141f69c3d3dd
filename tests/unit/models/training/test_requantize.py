"""``requantize`` on a copy of the shipped model: same integers, same scores, gated."""

from __future__ import annotations

import shutil

import pytest

from models.errors import ExportGateError
from models.serving.manifest import Manifest, sha256_file
from models.serving.runtime import shipped_model_dir
from models.serving.variants import materialise_variant
from models.training.requantize import requantize

TEXTS = [
    "Company shares plunge after profit warning and CEO resignation",
    "Company beats earnings estimates and raises full-year guidance",
    "$AAPL flat ahead of the Fed decision",
    "Bank slashes guidance as loan losses soar; stock tumbles 20%",
] * 4


@pytest.fixture
def model_copy(tmp_path):
    target = tmp_path / "model"
    shutil.copytree(shipped_model_dir(), target)
    return target


def test_the_shipped_encoder_comes_back_with_the_same_integers_and_scores(model_copy, tmp_path):
    before = Manifest.load(model_copy)
    done = requantize(model_copy, TEXTS)
    after = Manifest.load(model_copy)
    after.verify()  # the new binary's hash and size are in the manifest
    assert done.integers_equal and done.max_prob_delta <= 1e-4 and done.texts == len(TEXTS)
    # the binary name is in the version; the date and the calibration suffix are kept
    sha = after.files["encoder.int8.onnx"]["sha256"]
    date, calibrated = before.version.split("-")[0], before.version.split("+")[1]
    assert after.version == f"{date}-{sha[:8]}+{calibrated}"
    assert done.new_version == after.version and done.old_version == before.version
    card = (model_copy / "MODEL_CARD.md").read_text()
    assert card.startswith(f"# {after.name} {after.version}\n")
    # the GPU's graph, rebuilt from the new int8, has the hash the manifest now promises
    fp16 = materialise_variant(after, "fp16", tmp_path / "cache")
    assert sha256_file(fp16) == after.variants["fp16"]["derived_sha256"]


def test_a_failed_gate_writes_nothing(model_copy):
    before = {p.name: p.read_bytes() for p in model_copy.iterdir()}
    with pytest.raises(ExportGateError, match="nothing was written"):
        requantize(model_copy, TEXTS, tolerance=-1.0)
    assert {p.name: p.read_bytes() for p in model_copy.iterdir()} == before
