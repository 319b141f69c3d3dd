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
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import orjson

from models.errors import ModelError
from models.tasks import get_task

__all__ = ["check_held_out", "distillation_loss", "logits_cache", "teacher_tasks"]


def teacher_tasks(teacher_dir: Path) -> tuple[str, ...]:
    """The tasks a training directory has heads for (their labels must match ours)."""
    path = teacher_dir / "training.json"
    if not path.is_file():
        msg = (
            f"teacher {teacher_dir} is not a training directory ({path.name} missing): "
            "pass the --out folder of a finished `finsentry train`"
        )
        raise ModelError(msg)
    tasks: dict[str, list[str]] = orjson.loads(path.read_bytes())["tasks"]
    for name, labels in tasks.items():
        if tuple(labels) != get_task(name).labels:
            msg = (
                f"teacher {teacher_dir} labels {name} as {labels}, this version as "
                f"{list(get_task(name).labels)}: retrain the teacher with this version"
            )
            raise ModelError(msg)
    return tuple(tasks)


def check_held_out(teacher_dir: Path, task: str, validation_texts: Sequence[str]) -> None:
    """Raise unless the teacher's own validation split holds all of ``validation_texts``."""
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
