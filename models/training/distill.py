"""Knowledge distillation: a larger fine-tuned model (the teacher) guides the shipped one.

The teacher is any directory written by ``finsentry train`` — typically on a base too large to
ship, such as all-mpnet-base-v2. Its logits on the student's training texts are computed once;
for the tasks it covers the student then minimises

    (1 − α) · CE(student, hard labels) + α · T² · KL(softmax(teacher / T) ‖ softmax(student / T))

(Hinton et al., 2015). A text that training augments on the fly (cashtags stripped) keeps its
teacher logits, as it keeps its label; the edited copies of ``--transfer-copies``
(models.training.augment) are part of the training texts, so the teacher scores each of them itself.
The teacher must have held out every one of the student's validation texts, or the student's
validation figures would rest on labels the teacher learned from.

The teacher may also be an exported model directory (``manifest.json``: the shipped model, a
registry version): its int8 encoder scores the texts in seconds on a CPU, so a new student can
learn from the serving model ("born-again" distillation) while it learns what that model never
saw. Its held-out split is rebuilt from the manifest's training config.

Several teachers (``--teacher`` given more than once) form an ensemble: the student learns the
mean of their log-probabilities (:func:`combine_teachers`), each teacher's own soft labels
built as for one teacher (report sentences included). Each must hold out the student's split.

Report sentences (models.training.newswire) are labelled right by construction. A teacher that
never trained on such sentences would teach its own mistakes there (the shipped tweet-trained
model calls 36 % of the positive ones neutral or negative), so unless the teacher's own
training config added report sentences, their soft labels are their template's label at
:data:`TEMPLATE_CONFIDENCE` (:func:`label_logits`).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from models.datasets import LabelledTexts
from models.errors import ModelError
from models.tasks import get_task

__all__ = [
    "TEMPLATE_CONFIDENCE",
    "average_log_probabilities",
    "check_held_out",
    "combine_teachers",
    "describe_teacher",
    "distillation_loss",
    "exported_logits",
    "is_exported",
    "label_logits",
    "logits_cache",
    "soft_labels",
    "teacher_config",
    "teacher_tasks",
]

log = logging.getLogger(__name__)

TEMPLATE_CONFIDENCE = 0.95  # the soft label a template gives its own class


def is_exported(teacher_dir: Path) -> bool:
    """True for an exported model directory (``finsentry export``), False for a training one."""
    return (teacher_dir / "manifest.json").is_file()


def describe_teacher(teacher_dir: Path) -> dict[str, str]:
    """Provenance for the manifest: the teacher's path, and for an exported model its name and
    version (the path may serve another model later)."""
    out = {"path": str(teacher_dir)}
    if is_exported(teacher_dir):
        from models.serving.manifest import Manifest

        manifest = Manifest.load(teacher_dir)
        out |= {"name": manifest.name, "version": manifest.version}
    return out


def teacher_config(teacher_dir: Path) -> dict[str, Any]:
    """The training config the teacher was trained with (empty when it does not say)."""
    if is_exported(teacher_dir):
        from models.serving.manifest import Manifest

        return dict(Manifest.load(teacher_dir).training.get("config", {}))
    path = teacher_dir / "training.json"
    return dict(orjson.loads(path.read_bytes()).get("config", {})) if path.is_file() else {}


def teacher_tasks(teacher_dir: Path) -> tuple[str, ...]:
    """The tasks a teacher has heads for (their labels must match ours)."""
    path = teacher_dir / "training.json"
    tasks: dict[str, list[str]]
    if is_exported(teacher_dir):
        from models.serving.manifest import Manifest

        manifest = Manifest.load(teacher_dir)
        tasks = {name: list(spec["labels"]) for name, spec in manifest.tasks.items()}
    elif path.is_file():
        tasks = orjson.loads(path.read_bytes())["tasks"]
    else:
        msg = (
            f"teacher {teacher_dir} is neither a training directory ({path.name} missing) nor "
            "an exported model (manifest.json missing): pass the --out folder of a finished "
            "`finsentry train` or `finsentry export`"
        )
        raise ModelError(msg)
    for name, labels in tasks.items():
        if tuple(labels) != get_task(name).labels:
            msg = (
                f"teacher {teacher_dir} labels {name} as {labels}, this version as "
                f"{list(get_task(name).labels)}: retrain the teacher with this version"
            )
            raise ModelError(msg)
    return tuple(tasks)


def check_held_out(
    teacher_dir: Path, task: str, validation_texts: Sequence[str], news_data: Path | None = None
) -> None:
    """Raise unless the teacher's own validation split holds all of ``validation_texts``
    (an exported teacher's split is rebuilt from its manifest, on ``news_data``)."""
    held_out: set[str]
    if is_exported(teacher_dir):
        from models.serving.manifest import Manifest
        from models.training.calibrate import validation_sets

        rebuilt = validation_sets(Manifest.load(teacher_dir), news_data)
        if task not in rebuilt:
            msg = f"teacher {teacher_dir} has no {task} head"
            raise ModelError(msg)
        held_out = set(rebuilt[task].texts)
    else:
        path = teacher_dir / "validation" / f"{task}.jsonl"
        if not path.is_file():
            msg = f"teacher {teacher_dir} has no validation split for {task} ({path} missing)"
            raise ModelError(msg)
        held_out = {orjson.loads(line)["text"] for line in path.read_bytes().splitlines() if line}
    seen = sum(1 for text in validation_texts if text not in held_out)
    if seen:
        msg = (
            f"the teacher may have trained on {seen} of this run's {len(validation_texts)} "
            f"{task} validation texts: train the teacher on the same data with the same "
            "--seed (and validation fraction) as the student"
        )
        raise ModelError(msg)


def logits_cache(teacher_dir: Path, task: str, texts: Sequence[str], max_length: int) -> Path:
    """Where the teacher's logits on ``texts`` are kept: keyed on the texts, the truncation
    length and the teacher's heads (retraining the teacher in place changes them)."""
    digest = hashlib.sha256((teacher_dir / "heads.npz").read_bytes())
    digest.update(f"{task}\0{max_length}".encode())
    for text in texts:
        digest.update(b"\0" + text.encode("utf-8", "surrogatepass"))
    return teacher_dir / "logits" / f"{task}-{digest.hexdigest()[:16]}.npy"


def exported_logits(teacher_dir: Path, texts: dict[str, Sequence[str]]) -> dict[str, np.ndarray]:
    """An exported model's raw head logits (before its calibration temperature) on each task's
    texts, scored the way the runtime serves it (GPU when one is there, else its CPU variant)."""
    from models.serving.runtime import Classifier

    classifier = Classifier.load(teacher_dir)
    out = {}
    for task, rows in texts.items():
        pooled, errors = classifier.embed(classifier.encode(list(rows)))
        failed = sum(1 for error in errors if error)
        if failed:
            msg = f"teacher {teacher_dir} could not score {failed} of {len(rows)} {task} texts"
            raise ModelError(msg)
        out[task] = classifier.logits(task, pooled).astype(np.float32)
    return out


def label_logits(labels: Sequence[int], classes: int, confidence: float) -> np.ndarray:
    """Logits whose softmax gives each label ``confidence`` and the other classes the rest."""
    rest = (1 - confidence) / (classes - 1)
    out = np.full((len(labels), classes), np.log(rest), dtype=np.float32)
    out[np.arange(len(labels)), np.asarray(labels, dtype=np.int64)] = np.log(confidence)
    return out


def distillation_loss(student_logits: Any, teacher_logits: Any, temperature: float) -> Any:
    """T²-scaled KL divergence from the teacher's softened distribution to the student's."""
    from torch.nn import functional

    t = temperature
    return (
        functional.kl_div(
            functional.log_softmax(student_logits / t, dim=-1),
            functional.log_softmax(teacher_logits / t, dim=-1),
            log_target=True,
            reduction="batchmean",
        )
        * t
        * t
    )


def soft_labels(
    teacher: Path,
    train_sets: dict[str, LabelledTexts],
    val_sets: dict[str, LabelledTexts],
    *,
    news_data: Path | None,
    max_length: int,
    device: Any,
    report_rows: dict[str, range] | None = None,
) -> dict[str, np.ndarray]:
    """The soft labels (logits) on each training text, per task the teacher covers: the
    teacher's own, except on ``report_rows`` (templated report sentences), where a teacher that
    never trained on such text gives way to the template's label (:func:`label_logits`)."""
    out = _teacher_pass(teacher, train_sets, val_sets, news_data, max_length, device)
    if not teacher_config(teacher).get("report_sentences"):
        for name, span in (report_rows or {}).items():
            if name in out and len(span):
                templated = [train_sets[name].labels[i] for i in span]
                out[name][span.start : span.stop] = label_logits(
                    templated, len(train_sets[name].task.labels), TEMPLATE_CONFIDENCE
                )
                log.info("task %s: %d report sentences taught by their templates", name, len(span))
    return out


def combine_teachers(per_teacher: Sequence[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """Several teachers' :func:`soft_labels` as one: a single teacher's as they are, otherwise
    the mean of their log-probabilities per task (each over the teachers that have a head for
    it): a geometric mean of the teachers' distributions, which stays meaningful when their
    logits differ in scale (an mpnet training directory beside an exported MiniLM)."""
    if len(per_teacher) == 1:
        return per_teacher[0]
    out = {}
    for task in dict.fromkeys(name for soft in per_teacher for name in soft):
        logits = [soft[task] for soft in per_teacher if task in soft]
        out[task] = average_log_probabilities(logits)
        log.info(
            "task %s: soft labels from %d of the %d teachers (those with its head)",
            task,
            len(logits),
            len(per_teacher),
        )
    return out


def average_log_probabilities(logits: Sequence[np.ndarray]) -> np.ndarray:
    """The mean of each row's log-softmax over the given logits (same shape each)."""
    total = np.zeros_like(logits[0], dtype=np.float64)
    for z in logits:
        z = z.astype(np.float64) - z.max(axis=1, keepdims=True)
        total += z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return (total / len(logits)).astype(np.float32)


def _teacher_pass(
    teacher: Path,
    train_sets: dict[str, LabelledTexts],
    val_sets: dict[str, LabelledTexts],
    news_data: Path | None,
    max_length: int,
    device: Any,
) -> dict[str, np.ndarray]:
    """The teacher's logits on each training text (cached for a training directory)."""
    from models.training.torch_model import load_trained, predict_logits

    shared = [name for name in teacher_tasks(teacher) if name in train_sets]
    if not shared:
        msg = f"teacher {teacher} has no head for any of the tasks {list(train_sets)}"
        raise ModelError(msg)
    for name in shared:
        check_held_out(teacher, name, val_sets[name].texts, news_data)
    if is_exported(teacher):  # int8 scores in seconds: nothing cached in its folder
        log.info("teacher %s: scoring %s", teacher, {n: len(train_sets[n]) for n in shared})
        return exported_logits(teacher, {name: train_sets[name].texts for name in shared})
    out, caches = {}, {}
    for name in shared:
        caches[name] = logits_cache(teacher, name, train_sets[name].texts, max_length)
        if caches[name].is_file():
            out[name] = np.load(caches[name])
    if len(out) < len(shared):
        model, batcher = load_trained(teacher, max_length)
        model.to(device)
        for name in [n for n in shared if n not in out]:
            texts = train_sets[name].texts
            log.info("teacher %s: scoring %d %s texts", teacher, len(texts), name)
            out[name] = predict_logits(model, batcher, name, texts)
            caches[name].parent.mkdir(exist_ok=True)
            np.save(caches[name], out[name])
    return out
