"""Export with its gates, on the real stack (the model of a few training steps)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from models.errors import ExportGateError
from models.serving.manifest import Manifest
from models.serving.runtime import Classifier
from models.training.export import ExportConfig, export_model

pytestmark = pytest.mark.slow


def test_export_passes_gates_and_writes_a_loadable_manifest(trained, tmp_path, loose_gates):
    manifest = export_model(ExportConfig(train_dir=trained, out_dir=tmp_path / "m", **loose_gates))
    assert manifest.variants["fp32"]["torch_max_logit_delta"] < 1e-4
    for variant in ("fp32", "int8", "fp16"):
        assert set(manifest.variants[variant]["metrics"]) == {"news", "transactions"}
    assert "vs_fp32" in manifest.variants["int8"]["metrics"]["news"]
    reloaded = Manifest.load(tmp_path / "m")
    reloaded.verify()
    assert manifest.version == reloaded.version  # what export returns is what it wrote
    assert all("reference" in spec for spec in reloaded.tasks.values())  # drift references
    card = (tmp_path / "m" / "MODEL_CARD.md").read_text()
    assert "macro-F1" in card
    # calibrated at export: a temperature per task, measured on the other half of the split
    for task in ("news", "transactions"):
        spec = reloaded.tasks[task]
        assert spec["temperature"] > 0 and spec["calibration"]["checked_on"] > 0
        assert (tmp_path / "m" / f"reliability-{task}.png").read_bytes()[:4] == b"\x89PNG"
    assert "## Calibration" in card and "+cal" in reloaded.version
    assert card.startswith(f"# {reloaded.name} {reloaded.version}")
    clf = Classifier.load(tmp_path / "m", provider="cpu")
    assert clf.temperature("news") == reloaded.tasks["news"]["temperature"]
    assert len(clf.scorer("news").score_batch(["a", "b"])) == 2


def test_fp32_parity_gate_fails_loudly(trained, tmp_path, loose_gates):
    with pytest.raises(ExportGateError, match="differ from torch"):
        export_model(
            ExportConfig(
                train_dir=trained, out_dir=tmp_path / "m", fp32_tolerance=0.0, **loose_gates
            )
        )


def test_int8_agreement_gate_fails_loudly(trained, tmp_path, loose_gates):
    cfg = replace(
        ExportConfig(train_dir=trained, out_dir=tmp_path / "m", **loose_gates),
        max_mean_prob_delta=0.0,
    )
    with pytest.raises(ExportGateError, match="disagrees with fp32"):
        export_model(cfg)
