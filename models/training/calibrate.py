"""Fit each task's temperature on the validation split and write it into the manifest, with
the task's drift reference (what the calibrated model predicts on that split).

The validation split is the one training held out (seeded, stratified, used only to pick the
best epoch). It is split again, seeded and stratified, into a half the temperature is fitted
on and a half the ECE is measured on, so the reported ECE is not the fitting loss. ``finsentry
export`` calls this on the split it already has; ``finsentry calibrate`` rebuilds the split
from the manifest's training config (the same data, fraction and seed) for a model exported
before calibration existed. The shipped (int8) variant's logits are used: that is what
serves.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import numpy as np

from models.calibration import Calibration, reliability_diagram, softmax
from models.datasets import LabelledTexts, held_out_halves, stratified_split
from models.drift import Reference
from models.errors import TrainingDataError
from models.evaluate import logits_of
from models.serving.manifest import Manifest
from models.serving.runtime import Classifier
from models.tasks import get_task

__all__ = ["calibrate", "validation_sets"]

log = logging.getLogger(__name__)


def validation_sets(manifest: Manifest, news_data: Path | None = None) -> dict[str, LabelledTexts]:
    """The validation split training held out, rebuilt from the manifest's training config
    (``news_data`` overrides where the news corpus is). The news data must be the one trained
    on: its hash is checked."""
    from models.training.train import TrainConfig, _load_task_data

    raw: dict[str, Any] = dict(manifest.training.get("config", {}))
    if not raw:
        msg = f"{manifest.directory}: the manifest has no training config to rebuild the split"
        raise TrainingDataError(msg)
    values = {k: v for k, v in raw.items() if k in TrainConfig.__dataclass_fields__}
    for name in ("news_data", "out_dir", "transactions_data", "feedback"):
        if isinstance(values.get(name), str):
            values[name] = Path(values[name])
    values["teachers"] = tuple(Path(t) for t in values.get("teachers", ()))  # not in old configs
    if news_data is not None:
        values["news_data"] = news_data
    config = TrainConfig(**values)
    expected = manifest.training.get("data_sha256", {})
    out = {}
    for task in manifest.tasks:
        data = _load_task_data(get_task(task), config)
        if expected.get(task) and data.source_sha256 and data.source_sha256 != expected[task]:
            msg = (
                f"{task} data {config.news_data if task == 'news' else 'simulated'} is not the "
                f"data this model was trained on (sha256 {data.source_sha256[:12]}…, trained on "
                f"{expected[task][:12]}…): pass the training data with --data"
            )
            raise TrainingDataError(msg)
        out[task] = stratified_split(data, config.validation_fraction, config.seed)[1]
    return out


def calibrate(
    classifier: Classifier, validation: dict[str, LabelledTexts]
) -> dict[str, Calibration]:
    """Fit and check one temperature per task; writes them and a reliability diagram per task
    (``reliability-<task>.png``) into the model directory, and the manifest (its version gains
    ``+cal<digest>``)."""
    manifest = classifier.manifest
    found = {}
    for task, data in validation.items():
        fit, check = held_out_halves(data)  # fit on dev, measure on test
        fit_logits, fit_labels = logits_of(classifier, fit)
        check_logits, check_labels = logits_of(classifier, check)
        calibration = Calibration.fit(task, fit_logits, fit_labels, check_logits, check_labels)
        reliability_diagram(
            {
                "uncalibrated": softmax(check_logits),
                f"temperature {calibration.temperature}": softmax(
                    check_logits, calibration.temperature
                ),
            },
            check_labels,
            manifest.directory / f"reliability-{task}.png",
            f"{manifest.name} {task}: {len(check_labels)} held-out validation texts",
        )
        manifest.tasks[task]["temperature"] = calibration.temperature
        manifest.tasks[task]["calibration"] = asdict(calibration)
        manifest.tasks[task]["reference"] = drift_reference(
            np.concatenate([fit_logits, check_logits]), calibration.temperature, data
        ).to_manifest()
        log.info(
            "%s: temperature %.3f, ECE %.4f -> %.4f on %d texts",
            task,
            calibration.temperature,
            calibration.ece_before,
            calibration.ece_after,
            calibration.checked_on,
        )
        found[task] = calibration
    # Calibrated scores differ from the uncalibrated ones: a new version says so on every
    # scored event ("…+cal3f2a1c", from the temperatures; the same temperatures, the same one).
    temperatures = json.dumps({t: c.temperature for t, c in sorted(found.items())})
    digest = hashlib.sha256(temperatures.encode()).hexdigest()[:6]
    manifest = replace(manifest, version=f"{manifest.version.split('+cal')[0]}+cal{digest}")
    manifest.write()
    _card(manifest, found)
    return found


def drift_reference(logits: np.ndarray, temperature: float, data: LabelledTexts) -> Reference:
    """What the calibrated model predicts on the validation split: the reference live
    scores are compared with (``finsentry_score_drift_psi``)."""
    probabilities = softmax(logits, temperature)
    spec = data.task
    labels = [spec.labels[int(i)] for i in probabilities.argmax(axis=1)]
    scores = [spec.signed_score(row.tolist()) for row in probabilities]
    return Reference.build(labels, scores, spec.labels)


def _card(manifest: Manifest, found: dict[str, Calibration]) -> None:
    card = manifest.directory / "MODEL_CARD.md"
    text = card.read_text() if card.exists() else f"# {manifest.name}\n"
    text = text.split("\n## Calibration\n")[0].rstrip() + "\n"
    head, _, rest = text.partition("\n")
    if head.startswith("# "):
        text = f"# {manifest.name} {manifest.version}\n{rest}"
    lines = [
        "",
        "## Calibration",
        "",
        "Temperature scaling per task, fitted on half of the validation split (seeded,",
        "stratified) and checked on the other half; the runtime divides the logits by it for",
        "every variant. ECE: 10 equal-width bins of the top probability.",
        "",
        "| task | temperature | ECE before | ECE after | mean confidence before → after | "
        "accuracy | fitted on | checked on |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for c in found.values():
        lines.append(
            f"| {c.task} | {c.temperature} | {c.ece_before:.4f} | {c.ece_after:.4f} | "
            f"{c.mean_confidence_before:.3f} → {c.mean_confidence_after:.3f} | "
            f"{c.accuracy:.4f} | {c.fitted_on} | {c.checked_on} |"
        )
    lines.append("")
    lines += [f"![reliability {c.task}](reliability-{c.task}.png)" for c in found.values()]
    card.write_text(text + "\n".join(lines) + "\n")
