"""Labelled text data: reading CSV/JSONL files, mapping label schemes, seeded stratified splits."""

from __future__ import annotations

import csv
import hashlib
import logging
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import orjson

from models.errors import TrainingDataError
from models.serving.manifest import sha256_file
from models.tasks import TaskSpec

__all__ = ["LabelledTexts", "held_out_halves", "load_labelled", "stratified_split"]

log = logging.getLogger(__name__)

TEXT_COLUMNS = ("text", "headline", "sentence")
LABEL_COLUMNS = ("label", "sentiment", "risk")

# Names accepted for each canonical label, lower-case.
_SYNONYMS: dict[str, dict[str, str]] = {
    "news": {
        "negative": "negative",
        "neg": "negative",
        "bearish": "negative",
        "neutral": "neutral",
        "neu": "neutral",
        "positive": "positive",
        "pos": "positive",
        "bullish": "positive",
        # TFNS numeric scheme: 0 bearish, 1 bullish, 2 neutral.
        "0": "negative",
        "1": "positive",
        "2": "neutral",
    },
    "transactions": {
        "low": "low",
        "medium": "medium",
        "med": "medium",
        "high": "high",
        "0": "low",
        "1": "medium",
        "2": "high",
    },
}


@dataclass(frozen=True, slots=True)
class LabelledTexts:
    """Texts with label indices in the task's label order."""

    texts: tuple[str, ...]
    labels: tuple[int, ...]
    task: TaskSpec
    source_sha256: str = ""

    def __len__(self) -> int:
        return len(self.texts)

    def class_counts(self) -> dict[str, int]:
        counts = Counter(self.labels)
        return {name: counts.get(i, 0) for i, name in enumerate(self.task.labels)}

    def subset(self, indices: Iterable[int]) -> LabelledTexts:
        idx = list(indices)
        return LabelledTexts(
            tuple(self.texts[i] for i in idx),
            tuple(self.labels[i] for i in idx),
            self.task,
            self.source_sha256,
        )


def _resolve_files(path: Path) -> list[Path]:
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix in {".csv", ".jsonl", ".json"})
        if not files:
            msg = f"{path} holds no .csv or .jsonl file: pass a file or a folder with one"
            raise TrainingDataError(msg)
        return files
    if not path.exists():
        msg = f"training data {path} does not exist: pass --data with a CSV or JSONL file"
        raise TrainingDataError(msg)
    return [path]


def _read_rows(path: Path) -> list[dict[str, object]]:
    try:
        if path.suffix == ".csv":
            with path.open(newline="", encoding="utf-8", errors="replace") as fh:
                return list(csv.DictReader(fh))
        rows = []
        with path.open("rb") as fh:
            for lineno, line in enumerate(fh, 1):
                if line.strip():
                    try:
                        rows.append(orjson.loads(line))
                    except orjson.JSONDecodeError as exc:
                        msg = f"{path}:{lineno} is not valid JSON ({exc}): fix or remove the line"
                        raise TrainingDataError(msg) from exc
        return rows
    except OSError as exc:
        msg = f"cannot read {path}: {exc}"
        raise TrainingDataError(msg) from exc


def _pick(columns: Sequence[str], wanted: Sequence[str], path: Path, what: str) -> str:
    for name in wanted:
        if name in columns:
            return name
    msg = (
        f"{path} has no {what} column (looked for {', '.join(wanted)}; found "
        f"{', '.join(columns) or 'no columns'}): rename the column"
    )
    raise TrainingDataError(msg)


def load_labelled(path: Path, task: TaskSpec) -> LabelledTexts:
    """Read every CSV/JSONL file at ``path`` into texts and label indices.

    Labels may be names (negative/neutral/positive, bearish/bullish, low/medium/high) or the
    TFNS numeric scheme (0 bearish, 1 bullish, 2 neutral) for news.
    """
    synonyms = _SYNONYMS[task.name]
    texts: list[str] = []
    labels: list[int] = []
    digest = hashlib.sha256()
    for file in _resolve_files(path):
        digest.update(sha256_file(file).encode())
        rows = _read_rows(file)
        if not rows:
            continue
        columns = list(rows[0].keys())
        text_col = _pick(columns, TEXT_COLUMNS, file, "text")
        label_col = _pick(columns, LABEL_COLUMNS, file, "label")
        unknown: Counter[str] = Counter()
        for row in rows:
            raw_label = str(row.get(label_col, "")).strip().lower()
            canonical = synonyms.get(raw_label)
            if canonical is None:
                unknown[raw_label] += 1
                continue
            text = str(row.get(text_col) or "")
            if not text.strip():
                continue
            texts.append(text)
            labels.append(task.labels.index(canonical))
        if unknown:
            shown = ", ".join(f"{k!r} ({v}x)" for k, v in unknown.most_common(5))
            msg = (
                f"{file}: unknown {task.name} labels {shown}; accepted: "
                f"{', '.join(sorted(set(synonyms)))}"
            )
            raise TrainingDataError(msg)
    if not texts:
        msg = f"no labelled rows found in {path}"
        raise TrainingDataError(msg)
    return LabelledTexts(tuple(texts), tuple(labels), task, digest.hexdigest())


def stratified_split(
    data: LabelledTexts, validation_fraction: float, seed: int
) -> tuple[LabelledTexts, LabelledTexts]:
    """Seeded split that keeps each class's share in both parts."""
    rng = np.random.default_rng(seed)
    labels = np.asarray(data.labels)
    train_idx: list[int] = []
    val_idx: list[int] = []
    for cls in np.unique(labels):
        idx = np.flatnonzero(labels == cls)
        rng.shuffle(idx)
        n_val = max(1, round(len(idx) * validation_fraction)) if len(idx) > 1 else 0
        val_idx.extend(idx[:n_val].tolist())
        train_idx.extend(idx[n_val:].tolist())
    rng.shuffle(train_idx)
    val_idx.sort()
    return data.subset(train_idx), data.subset(val_idx)


def held_out_halves(validation: LabelledTexts) -> tuple[LabelledTexts, LabelledTexts]:
    """The validation split cut in two, seeded and stratified: (dev, test).

    ``dev`` is what choices may look at (the best epoch with ``--select-on dev``, the
    calibration temperature); ``test`` is what figures are reported on, never looked at
    before. Training, calibration and evaluation cut it the same way.
    """
    return stratified_split(validation, 0.5, 1)
