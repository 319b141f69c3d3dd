"""Training (a few steps on a tiny subset) and export with its gates, on the real stack."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import orjson
import pytest

from models.datasets import load_labelled, stratified_split
from models.errors import ExportGateError, ModelError, TrainingDataError
from models.serving.manifest import Manifest
from models.serving.runtime import Classifier
from models.tasks import NEWS
from models.training.export import ExportConfig, export_model
from models.training.sweep import run_sweep
from models.training.train import TrainConfig, _load_task_data, train

pytestmark = pytest.mark.slow

LOOSE = dict(min_agreement=0.0, max_mean_prob_delta=1.0, max_metric_drop=1.0)


@pytest.fixture(scope="module")
def trained(tmp_path_factory, tfns_path) -> Path:
    out = tmp_path_factory.mktemp("train")
    result = train(
        TrainConfig(
            news_data=tfns_path,
            out_dir=out,
            max_examples_per_task=64,
            transactions_count=240,
            epochs=1,
            max_steps=3,
            threads=2,
        )
    )
    assert set(result.reports) == {"news", "transactions"}
    return out


def test_training_writes_encoder_heads_and_split(trained):
    assert (trained / "encoder" / "model.safetensors").is_file()
    assert (trained / "heads.npz").is_file()
    assert (trained / "validation" / "news.jsonl").read_text().count("\n") > 5
    assert (trained / "training.json").is_file()


def test_export_passes_gates_and_writes_a_loadable_manifest(trained, tmp_path):
    manifest = export_model(ExportConfig(train_dir=trained, out_dir=tmp_path / "m", **LOOSE))
    assert manifest.variants["fp32"]["torch_max_logit_delta"] < 1e-4
    for variant in ("fp32", "int8", "fp16"):
        assert set(manifest.variants[variant]["metrics"]) == {"news", "transactions"}
    assert "vs_fp32" in manifest.variants["int8"]["metrics"]["news"]
    reloaded = Manifest.load(tmp_path / "m")
    reloaded.verify()
    assert "macro-F1" in (tmp_path / "m" / "MODEL_CARD.md").read_text()
    clf = Classifier.load(tmp_path / "m", provider="cpu")
    assert len(clf.scorer("news").score_batch(["a", "b"])) == 2


def test_fp32_parity_gate_fails_loudly(trained, tmp_path):
    with pytest.raises(ExportGateError, match="differ from torch"):
        export_model(
            ExportConfig(train_dir=trained, out_dir=tmp_path / "m", fp32_tolerance=0.0, **LOOSE)
        )


def test_int8_agreement_gate_fails_loudly(trained, tmp_path):
    cfg = replace(
        ExportConfig(train_dir=trained, out_dir=tmp_path / "m", **LOOSE), max_mean_prob_delta=0.0
    )
    with pytest.raises(ExportGateError, match="disagrees with fp32"):
        export_model(cfg)


def test_training_data_with_unknown_labels_is_refused(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("text,label\nup,bullish\ndown,sideways\n")
    with pytest.raises(TrainingDataError, match="sideways"):
        train(TrainConfig(tasks=("news",), news_data=bad, out_dir=tmp_path / "o"))


def test_training_data_without_a_text_column_is_refused(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"sentence_text": "x", "label": 0}\n')
    with pytest.raises(TrainingDataError, match="no text column"):
        train(TrainConfig(tasks=("news",), news_data=bad, out_dir=tmp_path / "o"))


def test_training_on_cuda_without_a_gpu_says_what_to_do(tmp_path, tfns_path, monkeypatch):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(ModelError, match="--device cpu"):
        train(TrainConfig(tasks=("news",), news_data=tfns_path, device="cuda", out_dir=tmp_path))


def test_sweep_picks_on_an_inner_split_and_never_trains_on_validation(tmp_path):
    words = ["gains", "losses", "flat"] * 30
    rows = [f"headline number {i} about {w}" for i, w in enumerate(words)]
    data = tmp_path / "news.csv"
    data.write_text(
        "text,label\n"
        + "".join(f"{t},{['positive', 'negative', 'neutral'][i % 3]}\n" for i, t in enumerate(rows))
    )
    base = TrainConfig(
        tasks=("news",), news_data=data, epochs=1, max_steps=1, threads=1, device="cpu"
    )
    candidates = ({"learning_rate": 1e-4}, {"learning_rate": 2e-4, "label_smoothing": 0.1})
    report = run_sweep(base, tmp_path / "sweep", candidates=candidates, parallel=1)

    _, held_out = stratified_split(load_labelled(data, NEWS), 0.2, base.seed)
    inner = load_labelled(tmp_path / "sweep" / "news-train-part.csv", NEWS)
    assert not set(inner.texts) & set(held_out.texts)  # candidates never saw validation
    assert len(inner) + len(held_out) == len(rows)
    assert [r["candidate"] for r in report["inner_rows"]] == [0, 1]
    assert report["inner_rows"][1]["label_smoothing"] == 0.1
    assert report["winner"] in (0, 1)
    winner = candidates[report["winner"]]
    assert report["final_config"]["learning_rate"] == winner["learning_rate"]
    assert report["final_config"]["news_data"] == str(data)  # the winner trains the usual way
    assert (tmp_path / "sweep" / "final" / "training.json").is_file()
    final_val = (tmp_path / "sweep" / "final" / "validation" / "news.jsonl").read_text()
    assert final_val.count("\n") == len(held_out)


def test_a_student_distils_from_a_trained_teacher(trained, tmp_path, tfns_path):
    config = TrainConfig(
        tasks=("news",),
        news_data=tfns_path,
        out_dir=tmp_path / "student",
        max_examples_per_task=64,
        epochs=1,
        max_steps=2,
        threads=2,
        teacher=trained,
        distill_weight=1.0,
    )
    result = train(config)
    assert set(result.reports) == {"news"}
    meta = orjson.loads((tmp_path / "student" / "training.json").read_bytes())
    assert meta["config"]["teacher"] == str(trained)  # provenance travels to the manifest
    (cached,) = (trained / "logits").glob("news-*.npy")  # the teacher's pass, kept for reruns
    train_part, _ = stratified_split(_load_task_data(NEWS, config), 0.2, config.seed)
    assert np.load(cached).shape == (len(train_part), 3)
    # edited copies join the transfer set, each with the teacher's own logits
    train(replace(config, transfer_copies=2, out_dir=tmp_path / "copies"))
    (grown,) = {p for p in (trained / "logits").glob("news-*.npy")} - {cached}
    logits = np.load(grown)
    assert logits.shape == (3 * len(train_part), 3)
    np.testing.assert_allclose(logits[: len(train_part)], np.load(cached), atol=1e-4)
    assert not np.allclose(logits[len(train_part) :], np.tile(np.load(cached), (2, 1)), atol=1e-4)
    # the teacher held out exactly this split; another seed's split would overlap its training
    with pytest.raises(ModelError, match="same --seed"):
        train(replace(config, seed=config.seed + 1, out_dir=tmp_path / "other"))
