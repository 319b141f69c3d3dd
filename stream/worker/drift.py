"""Live drift per record kind: the last scored records against the serving model's reference.

``observe`` (the event loop, after a batch is published) keeps, per kind, the labels and
scores of the last ``window`` scored records and the batches' token counts; ``samples`` (the
scraping thread) computes the population stability index of the live score histogram and of
the predicted class shares against the reference the serving model's manifest holds
(``models.drift``), and the input signals: share of [UNK] word pieces, mean text length.
A kind with fewer than ``min_records`` live records reports no PSI yet.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from models.drift import Reference
from stream.pipeline.batch import BatchResult

__all__ = ["DriftMonitor"]


@dataclass
class _Live:
    labels: deque[str]
    scores: deque[float]
    batches: deque[tuple[int, int, int, int]] = field(default_factory=deque)  # n, tok, unk, chars
    in_batches: int = 0


class DriftMonitor:
    def __init__(
        self,
        reference: Callable[[str], Reference | None],  # task -> the serving model's reference
        window: int = 2000,
        min_records: int = 200,
    ) -> None:
        self._reference = reference
        self._window = window
        self._min = min_records
        self._live: dict[tuple[str, str], _Live] = {}  # (kind, task) -> live records
        self._lock = threading.Lock()

    def observe(self, result: BatchResult) -> None:
        if not result.scored:
            return
        kind = result.kind
        with self._lock:
            live = self._live.setdefault(
                (kind.name, kind.task),
                _Live(deque(maxlen=self._window), deque(maxlen=self._window)),
            )
            for event in result.scored:
                live.labels.append(event.label)
                live.scores.append(event.score)
            n = len(result.scored)
            live.batches.append((n, result.tokens, result.unknown_tokens, result.text_chars))
            live.in_batches += n
            while live.batches and live.in_batches - live.batches[0][0] >= self._window:
                live.in_batches -= live.batches.popleft()[0]

    def psi(self) -> Iterator[tuple[tuple[str, str], float]]:
        """((kind, measure), PSI) for measure ``score`` and ``class``."""
        for (kind, task), labels, scores in self._snapshot():
            reference = self._reference(task)
            if reference is None or len(scores) < self._min:
                continue
            yield (kind, "score"), reference.score_psi(scores)
            yield (kind, "class"), reference.class_psi(labels)

    def inputs(self) -> Iterator[tuple[tuple[str, str], float]]:
        """((kind, signal), value): ``unknown_token_share`` and ``mean_text_chars``."""
        with self._lock:
            totals = {
                kind: [sum(b[i] for b in live.batches) for i in range(4)]
                for (kind, _), live in self._live.items()
            }
        for kind, (n, tokens, unknown, chars) in totals.items():
            if n:
                yield (kind, "unknown_token_share"), unknown / max(1, tokens)
                yield (kind, "mean_text_chars"), chars / n

    def records(self) -> Iterator[tuple[tuple[str], float]]:
        for (kind, _), labels, _ in self._snapshot():
            yield (kind,), float(len(labels))

    def _snapshot(self) -> list[tuple[tuple[str, str], list[str], list[float]]]:
        with self._lock:
            return [(k, list(v.labels), list(v.scores)) for k, v in self._live.items()]
