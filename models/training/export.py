"""``finsentry export``: torch -> ONNX (optimum-onnx) -> gated int8 and fp16 variants + manifest.

Gates, each failing loudly with :class:`~models.errors.ExportGateError`:
- fp32 ONNX vs torch: max |logit difference| within ``fp32_tolerance``;
- int8 and fp16 vs fp32 on the held-out split: predicted-class agreement >= ``min_agreement``,
  mean probability delta <= ``max_mean_prob_delta``, and accuracy and macro-F1 within
  ``max_metric_drop`` of fp32. The largest single probability delta is reported, not gated:
  dynamic int8 moves a few borderline texts a lot while the metrics hold.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from models.datasets import load_labelled
from models.errors import ExportGateError, ModelNotFoundError
from models.metrics import classification_report, report_markdown
from models.serving.manifest import SCHEMA_VERSION, Manifest, sha256_file
from models.serving.runtime import Classifier
from models.serving.variants import materialise_variant
from models.tasks import get_task
from models.text import clean_text

__all__ = ["ExportConfig", "export_model"]

log = logging.getLogger(__name__)

ENCODER_INT8 = "encoder.int8.onnx"
ENCODER_FP32 = "encoder.fp32.onnx"


@dataclass(frozen=True, slots=True)
class ExportConfig:
    train_dir: Path = Path("build/train")
    out_dir: Path = Path("build/model")
    name: str = "finsentry-minilm"
    opset: int = 18
    max_length: int = 128
    fp32_tolerance: float = 1e-4
    min_agreement: float = 0.97
    max_mean_prob_delta: float = 0.02
    max_metric_drop: float = 0.005
    parity_texts: int = 256  # per task, for the torch comparison
    keep_fp32: bool = True


def _export_fp32(encoder_dir: Path, out: Path, opset: int) -> None:
    from optimum.exporters.onnx import main_export

    with tempfile.TemporaryDirectory() as tmp:
        main_export(
            str(encoder_dir),
            output=tmp,
            task="feature-extraction",
            opset=opset,
            do_validation=False,
        )
        shutil.move(Path(tmp) / "model.onnx", out)


def _probs(clf: Classifier, task: str, texts: list[str]) -> np.ndarray:
    scores = clf.scorer(task).score_batch(texts)
    labels = get_task(task).labels
    return np.array([[s.probabilities.get(label, np.nan) for label in labels] for s in scores])


def _gate(
    name: str, ref: np.ndarray, got: np.ndarray, labels: tuple[int, ...], cfg: ExportConfig
) -> dict[str, float]:
    ok = ~np.isnan(ref).any(1) & ~np.isnan(got).any(1)
    agreement = float((ref[ok].argmax(1) == got[ok].argmax(1)).mean())
    delta = np.abs(ref[ok] - got[ok])
    y = np.asarray(labels)[ok]
    names = tuple(str(i) for i in range(ref.shape[1]))
    base = classification_report(y.tolist(), ref[ok].argmax(1).tolist(), names)
    mine = classification_report(y.tolist(), got[ok].argmax(1).tolist(), names)
    stats = {
        "agreement": round(agreement, 5),
        "mean_prob_delta": round(float(delta.mean()), 5),
        "max_prob_delta": round(float(delta.max()), 5),
        "accuracy_drop": round(base.accuracy - mine.accuracy, 5),
        "macro_f1_drop": round(base.macro_f1 - mine.macro_f1, 5),
    }
    if (
        agreement < cfg.min_agreement
        or stats["mean_prob_delta"] > cfg.max_mean_prob_delta
        or max(stats["accuracy_drop"], stats["macro_f1_drop"]) > cfg.max_metric_drop
    ):
        msg = (
            f"{name} disagrees with fp32 past the gate: {stats} (limits: agreement >= "
            f"{cfg.min_agreement}, mean delta <= {cfg.max_mean_prob_delta}, accuracy and "
            f"macro-F1 drop <= {cfg.max_metric_drop}); do not ship it — check the "
            "quantization settings"
        )
        raise ExportGateError(msg)
    return stats


def _torch_parity(cfg: ExportConfig, clf: Classifier, texts: dict[str, list[str]]) -> float:
    from models.training.torch_model import load_trained, predict_logits

    model, batcher = load_trained(cfg.train_dir, cfg.max_length)
    worst = 0.0
    for task, sample in texts.items():
        sample = [clean_text(t) or "." for t in sample[: cfg.parity_texts]]
        ref = predict_logits(model, batcher, task, sample)
        pooled, _ = clf.embed(clf.encode(sample))
        got = pooled @ clf.heads.weights[task].T + clf.heads.biases[task]
        worst = max(worst, float(np.abs(ref - got).max()))
    if worst > cfg.fp32_tolerance:
        msg = (
            f"fp32 ONNX logits differ from torch by {worst:.2e} > {cfg.fp32_tolerance:.0e}: "
            "the export is wrong; check the optimum/transformers versions (see model.md)"
        )
        raise ExportGateError(msg)
    return worst


def export_model(cfg: ExportConfig) -> Manifest:
    meta_path = cfg.train_dir / "training.json"
    if not meta_path.is_file():
        msg = f"{cfg.train_dir} holds no trained model (training.json): run `finsentry train`"
        raise ModelNotFoundError(msg)
    meta = orjson.loads(meta_path.read_bytes())
    out = cfg.out_dir
    out.mkdir(parents=True, exist_ok=True)
    _export_fp32(cfg.train_dir / "encoder", out / ENCODER_FP32, cfg.opset)
    from models.training.quantize import quantize_int8

    quantize_int8(out / ENCODER_FP32, out / ENCODER_INT8)
    shutil.copy(cfg.train_dir / "encoder" / "tokenizer.json", out / "tokenizer.json")
    shutil.copy(cfg.train_dir / "heads.npz", out / "heads.npz")
    files: dict[str, dict[str, Any]] = {
        n: {"sha256": sha256_file(out / n), "bytes": (out / n).stat().st_size}
        for n in (ENCODER_INT8, "tokenizer.json", "heads.npz")
    }
    fp32_sha = sha256_file(out / ENCODER_FP32)
    manifest = Manifest(
        directory=out,
        name=cfg.name,
        version=f"{datetime.now(UTC):%Y.%m.%d}-{files[ENCODER_INT8]['sha256'][:8]}",
        tasks={
            t: {"labels": labels, "score": get_task(t).score_kind}
            for t, labels in meta["tasks"].items()
        },
        max_length=cfg.max_length,
        tokenizer="tokenizer.json",
        heads="heads.npz",
        opset=cfg.opset,
        files=files,
        base_model=meta["base_model"],
        variants={
            "int8": {"file": ENCODER_INT8, "device": "cpu"},
            "fp32": {"file": ENCODER_FP32, "sha256": fp32_sha, "device": "cpu", "shipped": False},
            "fp16": {"derived_from": ENCODER_INT8, "device": "cuda"},
        },
        training={
            "data_sha256": meta["data_sha256"],
            "best_epoch": meta["best_epoch"],
            "config": meta["config"],
            **({"teachers": meta["teachers"]} if "teachers" in meta else {}),
        },
        schema_version=SCHEMA_VERSION,
    )
    val = {
        t: load_labelled(cfg.train_dir / "validation" / f"{t}.jsonl", get_task(t))
        for t in manifest.tasks
    }
    texts = {t: list(d.texts) for t, d in val.items()}

    with tempfile.TemporaryDirectory() as cache:
        fp16_path = materialise_variant(manifest, "fp16", Path(cache))
        manifest.variants["fp16"]["derived_sha256"] = sha256_file(fp16_path)
        clfs = {
            "fp32": Classifier.on_cpu(manifest, out / ENCODER_FP32, "fp32"),
            "int8": Classifier.on_cpu(manifest, out / ENCODER_INT8, "int8"),
            "fp16": Classifier.on_cpu(manifest, fp16_path, "fp16"),
        }
        manifest.variants["fp32"]["torch_max_logit_delta"] = _torch_parity(cfg, clfs["fp32"], texts)
        probs = {v: {t: _probs(c, t, texts[t]) for t in texts} for v, c in clfs.items()}
    for variant, per_task in probs.items():
        metrics: dict[str, Any] = {}
        for task, p in per_task.items():
            report = classification_report(
                val[task].labels, p.argmax(1).tolist(), val[task].task.labels
            )
            metrics[task] = report.to_dict()
            if variant != "fp32":
                metrics[task]["vs_fp32"] = _gate(
                    f"{variant} ({task})", probs["fp32"][task], p, val[task].labels, cfg
                )
        manifest.variants[variant]["metrics"] = metrics
    manifest.write()
    _write_card(manifest)
    from models.training.calibrate import calibrate

    # the temperature of the shipped variant, fitted on half the held-out split (see calibrate)
    calibrate(Classifier.on_cpu(manifest, out / ENCODER_INT8, "int8"), val)
    if not cfg.keep_fp32:
        (out / ENCODER_FP32).unlink()
    return Manifest.load(out)  # as calibrated (its version gained "+cal…")


def _teacher_sources(training: dict[str, Any]) -> list[str]:
    """The teachers a model learned from, in words: exported ones by version (their folder may
    serve another model later), training directories by path. Manifests from before ensembles
    name one teacher in ``config.teacher``."""
    described = training.get("teachers")
    if described is None:  # before ensembles: one teacher, described or only named
        legacy = training.get("config", {}).get("teacher")
        described = [training.get("teacher") or {"path": legacy}] if legacy else []
    return [
        f"{t['name']} {t['version']} (exported, then at `{t['path']}`)"
        if "version" in t
        else f"the model trained in `{t['path']}`"
        for t in described
    ]


def _write_card(manifest: Manifest) -> None:
    lines = [
        f"# {manifest.name} {manifest.version}",
        "",
        f"Shared {manifest.base_model} encoder (mean pooling) with one linear head per task; "
        f"max length {manifest.max_length} tokens; ONNX opset {manifest.opset}.",
        "",
        "Validation split: seeded, stratified, never trained on. Training data sha256: "
        f"`{manifest.training.get('data_sha256')}`.",
        "",
    ]
    config = manifest.training.get("config", {})
    sources = _teacher_sources(manifest.training)
    if sources:
        source = (
            sources[0]
            if len(sources) == 1
            else (
                f"an ensemble of {len(sources)} teachers (their log-probabilities averaged): "
                + "; ".join(sources)
            )
        )
        lines += [
            f"Distilled from {source} (weight {config.get('distill_weight')}, temperature "
            f"{config.get('distill_temperature')}, {config.get('transfer_copies', 0)} "
            "teacher-labelled copies of each news text).",
            "",
        ]
    if config.get("detweet_copies") or config.get("report_sentences"):
        copies = "a newswire copy of each tweet, " if config.get("detweet_copies") else ""
        lines += [
            f"News-like training text (models.training.newswire): {copies}"
            f"{config.get('report_sentences', 0)} report sentences labelled by their template.",
            "",
        ]
    if config.get("select_on") == "dev":
        lines += ["Best epoch picked on the dev half of the validation split.", ""]
    if config.get("select_task"):
        lines += [f"Best epoch picked on the {config['select_task']} task's macro-F1 alone.", ""]
    for variant in ("fp32", "int8", "fp16"):
        for task, m in manifest.variants[variant].get("metrics", {}).items():
            vs = f"\n\nvs fp32: {m['vs_fp32']}" if "vs_fp32" in m else ""
            lines += [f"## {task} — {variant}", "", report_markdown(m) + vs, ""]
    (manifest.directory / "MODEL_CARD.md").write_text("\n".join(lines))
