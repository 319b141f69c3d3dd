"""Analysts' labelled rows (``finsentry feedback export``) as training and gate data.

A row is ``{id, kind, text, label, model_label, model_version, ...}``; ``kind`` is the
record kind (news, transaction) and names the task (news, transactions). ``with_feedback``
adds the rows to a task's training data ``weight`` times each, keeping every original row
(rehearsal: the model learns the corrections without forgetting what it knew) and dropping
any row whose text is in the validation split, which stays frozen.
"""

from __future__ import annotations

from pathlib import Path

import orjson

from models.datasets import LabelledTexts
from models.errors import TrainingDataError
from models.tasks import get_task

__all__ = ["load_feedback", "with_feedback"]

_TASK_OF_KIND = {"news": "news", "transaction": "transactions", "transactions": "transactions"}


def load_feedback(path: Path) -> dict[str, LabelledTexts]:
    """Per task, the labelled rows of a ``feedback export`` file."""
    if not path.is_file():
        msg = f"feedback file {path} does not exist: write one with `finsentry feedback export`"
        raise TrainingDataError(msg)
    texts: dict[str, list[str]] = {}
    labels: dict[str, list[int]] = {}
    for number, line in enumerate(path.read_bytes().splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = orjson.loads(line)
            task = get_task(_TASK_OF_KIND[str(row["kind"])])
            label = task.labels.index(str(row["label"]))
            text = str(row["text"])
        except (orjson.JSONDecodeError, KeyError, ValueError, TypeError) as exc:
            msg = (
                f"{path}:{number} is not a feedback row ({type(exc).__name__}: {exc}): "
                "export it again with `finsentry feedback export`"
            )
            raise TrainingDataError(msg) from exc
        texts.setdefault(task.name, []).append(text)
        labels.setdefault(task.name, []).append(label)
    return {
        name: LabelledTexts(tuple(texts[name]), tuple(labels[name]), get_task(name))
        for name in texts
    }


def with_feedback(
    train: LabelledTexts, feedback: LabelledTexts, weight: int, validation: LabelledTexts
) -> LabelledTexts:
    """``train`` plus each feedback row ``weight`` times (none that validation holds)."""
    frozen = set(validation.texts)
    rows = [(t, y) for t, y in zip(feedback.texts, feedback.labels, strict=True) if t not in frozen]
    extra_texts = tuple(t for t, _ in rows for _ in range(weight))
    extra_labels = tuple(y for _, y in rows for _ in range(weight))
    return LabelledTexts(
        train.texts + extra_texts, train.labels + extra_labels, train.task, train.source_sha256
    )
