"""The ONNX classifier: load a model directory, tokenize, batch, score.

``Classifier.load(dir)`` verifies the manifest's hashes, picks the execution provider (logged
once, in words) and shares one encoder session between the tasks; ``classifier.scorer("news")``
gives the ``score_batch(texts) -> list[Score]`` that the stream and the re-scoring CLI call.
One bad text never fails a batch: it comes back as a Score with ``error`` set.
"""

from __future__ import annotations

import logging
import math
import weakref
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from models.errors import ModelIntegrityError, UnknownTaskError
from models.serving.manifest import Manifest
from models.serving.providers import (
    Provider,
    ProviderChoice,
    Variant,
    choose_session,
    cpu_session,
)
from models.tasks import TaskSpec, get_task
from models.text import clean_text

__all__ = ["Classifier", "Score", "TaskScorer", "shipped_model_dir"]

log = logging.getLogger(__name__)


def shipped_model_dir() -> Path:
    """The default model committed with finsentry (int8 encoder + news and transaction heads)."""
    return Path(__file__).resolve().parents[1] / "artifacts" / "finsentry-minilm"


@dataclass(frozen=True, slots=True)
class Score:
    """One text's result; ``error`` is set (label and score None) when it could not be scored."""

    label: str | None
    probabilities: dict[str, float]
    score: float | None
    model_version: str
    error: str | None = None
    tokens: int = 0  # word pieces the model saw (after truncation)
    unknown_tokens: int = 0  # of them, the tokenizer's [UNK] (a drift signal)

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(frozen=True, slots=True)
class _Heads:
    weights: dict[str, np.ndarray] = field(default_factory=dict)
    biases: dict[str, np.ndarray] = field(default_factory=dict)


def _load_heads(path: Path, tasks: Sequence[str]) -> _Heads:
    try:
        with np.load(path, allow_pickle=False) as data:
            heads = _Heads(
                {t: data[f"{t}.weight"].astype(np.float32) for t in tasks},
                {t: data[f"{t}.bias"].astype(np.float32) for t in tasks},
            )
    except (KeyError, ValueError, OSError) as exc:
        msg = f"{path} does not hold the task heads ({exc}): re-run `finsentry export`"
        raise ModelIntegrityError(msg) from exc
    return heads


class Classifier:
    """A shared encoder with one classification head per task."""

    def __init__(
        self, manifest: Manifest, choice: ProviderChoice, chunk_size: int | None = None
    ) -> None:
        from tokenizers import Tokenizer

        self.manifest = manifest
        self.session = choice.session
        self.variant: Variant = choice.variant
        self.provider = choice.provider
        # Texts per ONNX run after sorting by length: small chunks waste little on padding,
        # which pays on the CPU (32 headlines: 8 per run ~1.5x faster than 32); GPUs like more.
        on_gpu = choice.provider != "CPUExecutionProvider"
        self.chunk_size = max(1, chunk_size or (64 if on_gpu else 8))
        # chunks scored side by side (CPU: one thread each, see providers.cpu_session)
        self.workers = max(1, choice.workers)
        self._pool: ThreadPoolExecutor | None = None
        if self.workers > 1:
            self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="finsentry-chunk")
            weakref.finalize(self, self._pool.shutdown, wait=False)
        self.version = f"{manifest.name}@{manifest.version}/{choice.variant}"
        self.tokenizer = Tokenizer.from_file(str(manifest.path(manifest.tokenizer)))
        self.tokenizer.enable_truncation(manifest.max_length)
        self.tokenizer.no_padding()
        self.pad_id = int(self.tokenizer.token_to_id("[PAD]") or 0)
        unk = self.tokenizer.token_to_id("[UNK]")
        self.unk_id = -1 if unk is None else int(unk)
        self.heads = _load_heads(manifest.path(manifest.heads), list(manifest.tasks))
        self._inputs = {i.name for i in self.session.get_inputs()}

    @classmethod
    def on_cpu(
        cls, manifest: Manifest, path: Path, variant: Variant, threads: int | None = None
    ) -> Classifier:
        """Score the graph at ``path`` (one of ``manifest``'s, or a candidate for it) on the
        CPU, as :meth:`load` would serve it: for export gates and re-quantization checks."""
        session, workers = cpu_session(path, threads)
        reason = f"{path.name} checked on the CPU"
        return cls(
            manifest, ProviderChoice(session, variant, "CPUExecutionProvider", reason, workers)
        )

    @classmethod
    def load(
        cls,
        directory: Path | None = None,
        *,
        provider: Provider = "auto",
        variant: Variant | None = None,
        threads: int | None = None,
        chunk_size: int | None = None,
        cache_dir: Path | None = None,
    ) -> Classifier:
        manifest = Manifest.load(directory or shipped_model_dir())
        manifest.verify([manifest.tokenizer, manifest.heads])
        choice = choose_session(
            manifest, provider=provider, variant=variant, threads=threads, cache_dir=cache_dir
        )
        where = (
            "GPU (CUDA)"
            if "CUDA" in choice.provider or "Tensorrt" in choice.provider
            else f"CPU ({threads or 'all'} threads)"
        )
        log.info(
            "scoring with %s %s on the %s: %s", manifest.name, choice.variant, where, choice.reason
        )
        return cls(manifest, choice, chunk_size)

    def scorer(self, task: str) -> TaskScorer:
        if task not in self.manifest.tasks:
            have = list(self.manifest.tasks)
            msg = f"model {self.manifest.name} has no {task!r} head: it has {have}"
            raise UnknownTaskError(msg)
        return TaskScorer(self, get_task(task))

    # -- inference ---------------------------------------------------------------------------
    def encode(self, texts: Sequence[str]) -> list[list[int]]:
        return [e.ids for e in self.tokenizer.encode_batch(list(texts))]

    def _run(self, ids: Sequence[Sequence[int]]) -> np.ndarray:
        """Mean-pooled embeddings for one padded batch."""
        width = max(len(x) for x in ids)
        input_ids = np.full((len(ids), width), self.pad_id, dtype=np.int64)
        mask = np.zeros((len(ids), width), dtype=np.int64)
        for row, seq in enumerate(ids):
            input_ids[row, : len(seq)] = seq
            mask[row, : len(seq)] = 1
        feed: dict[str, Any] = {"input_ids": input_ids, "attention_mask": mask}
        if "token_type_ids" in self._inputs:
            feed["token_type_ids"] = np.zeros_like(input_ids)
        hidden = self.session.run(None, feed)[0].astype(np.float32)
        m = mask[..., None].astype(np.float32)
        return (hidden * m).sum(axis=1) / np.maximum(m.sum(axis=1), 1e-9)

    def embed(self, ids: Sequence[Sequence[int]]) -> tuple[np.ndarray, list[str | None]]:
        """Pooled embeddings in input order, length-bucketed in chunks of ``chunk_size``
        (smaller when that keeps every worker busy), run ``workers`` at a time.

        A chunk that fails is retried text by text; texts that still fail get an error.
        """
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        out = np.zeros((len(ids), self._hidden_size()), dtype=np.float32)
        errors: list[str | None] = [None] * len(ids)
        size = min(self.chunk_size, max(1, math.ceil(len(order) / self.workers)))
        chunks = [order[start : start + size] for start in range(0, len(order), size)]

        def run(chunk: list[int]) -> None:
            try:
                out[chunk] = self._run([ids[i] for i in chunk])
            except Exception as exc:  # noqa: BLE001 - isolate the bad text, keep the batch
                log.warning(
                    "inference failed on a batch of %d (%s); retrying one by one", len(chunk), exc
                )
                for i in chunk:
                    try:
                        out[i] = self._run([ids[i]])[0]
                    except Exception as one:  # noqa: BLE001
                        errors[i] = f"inference failed: {one}"

        if self._pool is None or len(chunks) < 2:
            for chunk in chunks:
                run(chunk)
        else:  # each chunk writes its own rows: no two threads touch the same slot
            list(self._pool.map(run, chunks))
        return out, errors

    def _hidden_size(self) -> int:
        return int(next(iter(self.heads.weights.values())).shape[1])

    def logits(self, task: str, pooled: np.ndarray) -> np.ndarray:
        return np.asarray(pooled @ self.heads.weights[task].T + self.heads.biases[task])

    def temperature(self, task: str) -> float:
        """The task's calibration temperature from the manifest (1: uncalibrated)."""
        return float(self.manifest.tasks[task].get("temperature", 1.0))

    def probabilities(self, task: str, pooled: np.ndarray) -> np.ndarray:
        """Calibrated: softmax of the logits divided by the task's temperature, the same for
        every variant (the heads run here, after any encoder)."""
        logits = self.logits(task, pooled) / self.temperature(task)
        logits -= logits.max(axis=1, keepdims=True)
        exp = np.exp(logits)
        return np.asarray(exp / exp.sum(axis=1, keepdims=True))


class TaskScorer:
    """``score_batch`` for one task of a :class:`Classifier`."""

    def __init__(self, classifier: Classifier, task: TaskSpec) -> None:
        self.classifier = classifier
        self.task = task

    @property
    def model_version(self) -> str:
        return self.classifier.version

    def score_batch(self, texts: Sequence[str | bytes | None]) -> list[Score]:
        version = self.classifier.version
        results: list[Score | None] = [None] * len(texts)
        cleaned: list[str] = []
        slots: list[int] = []
        for i, raw in enumerate(texts):
            if not isinstance(raw, str | bytes):
                results[i] = Score(None, {}, None, version, f"not text: {type(raw).__name__}")
                continue
            text = clean_text(raw)
            if not text:
                results[i] = Score(None, {}, None, version, "empty text: nothing to score")
                continue
            cleaned.append(text)
            slots.append(i)
        if cleaned:
            ids = self._encode(cleaned)
            good = [k for k, seq in enumerate(ids) if seq]
            pooled, errors = self.classifier.embed([ids[k] for k in good])
            probs = self.classifier.probabilities(self.task.name, pooled)
            for row, k in enumerate(good):
                if errors[row] is not None:
                    results[slots[k]] = Score(None, {}, None, version, errors[row])
                    continue
                p, seq = probs[row], ids[k]
                results[slots[k]] = Score(
                    self.task.labels[int(p.argmax())],
                    {name: round(float(v), 6) for name, v in zip(self.task.labels, p, strict=True)},
                    round(self.task.signed_score(p.tolist()), 6),
                    version,
                    tokens=len(seq),
                    unknown_tokens=seq.count(self.classifier.unk_id),
                )
            for k, seq in enumerate(ids):
                if not seq:
                    results[slots[k]] = Score(
                        None, {}, None, version, "text could not be tokenized"
                    )
        return [
            r if r is not None else Score(None, {}, None, version, "not scored") for r in results
        ]

    def _encode(self, texts: list[str]) -> list[list[int]]:
        try:
            return self.classifier.encode(texts)
        except Exception:  # noqa: BLE001 - find the one text the tokenizer rejects
            out = []
            for text in texts:
                try:
                    out.append(self.classifier.encode([text])[0])
                except Exception:  # noqa: BLE001
                    out.append([])
            return out
