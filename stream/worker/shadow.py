"""Shadow scoring: a candidate model also scores a share of the records, for metrics only.

Which records: those whose id hashes below ``share`` (the same record is always in or out,
in every worker and after a restart). The candidate runs in its own one-thread executor after
a batch is published, never on the path to the scored topic: when the previous shadow batch
is still running the new one is skipped and counted (``reason="busy"``), so a slow candidate
costs samples, not throughput. What it measures, per kind: records, agreements, label flips
per (serving, shadow) pair and the score shift (shadow - serving) as a summary.
"""

from __future__ import annotations

import asyncio
import logging
import zlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from exporters.metrics import Metrics
from models.errors import FinsentryError
from models.serving.runtime import Classifier, Score
from stream.pipeline.batch import BatchResult
from stream.records import ScoredEvent

__all__ = ["ShadowScorer", "sampled"]

log = logging.getLogger(__name__)


def sampled(record_id: str, share: float) -> bool:
    """Deterministic: whether ``record_id`` is in the shadow sample."""
    return zlib.crc32(record_id.encode()) % 10_000 < share * 10_000


class ShadowScorer:
    def __init__(
        self, load: Callable[[], Classifier], share: float, metrics: Metrics, version: str
    ) -> None:
        self._load = load
        self._share = share
        self._metrics = metrics
        self.version = version
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="finsentry-shadow")
        self._classifier: Classifier | None = None
        self._failed = False
        self._running: asyncio.Future[list[Score]] | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    def submit(self, result: BatchResult) -> None:
        """Shadow-score the sampled records of a published batch, in the background."""
        if self._failed or not result.scored:
            return
        pairs = [
            (event, text)
            for event, text in zip(result.scored, result.scored_texts(), strict=True)
            if sampled(event.id, self._share)
        ]
        if not pairs:
            return
        kind = result.kind
        if self._running is not None and not self._running.done():
            self._metrics.shadow_failures.labels(kind.name, "busy").inc()
            return
        loop = asyncio.get_running_loop()
        self._running = loop.run_in_executor(
            self._executor, self._score, kind.task, [t for _, t in pairs]
        )
        report = self._report(kind.name, [e for e, _ in pairs], self._running)
        reporting = asyncio.ensure_future(report)
        self._tasks.add(reporting)
        reporting.add_done_callback(self._tasks.discard)

    def _score(self, task: str, texts: list[str]) -> list[Score]:
        if self._classifier is None:
            self._classifier = self._load()
            log.info("shadow model %s loaded (%s of records)", self.version, self._share)
        return self._classifier.scorer(task).score_batch(texts)

    async def _report(
        self, kind: str, events: list[ScoredEvent], running: asyncio.Future[list[Score]]
    ) -> None:
        try:
            scores: list[Score] = await running
        except (FinsentryError, OSError) as exc:
            self._failed = True
            self._metrics.shadow_failures.labels(kind, "load").inc()
            log.error("shadow model %s cannot score, shadow scoring stops: %s", self.version, exc)
            return
        m = self._metrics
        for event, score in zip(events, scores, strict=True):
            if score.label is None or score.score is None:
                m.shadow_failures.labels(kind, "unscorable").inc()
                continue
            m.shadow_records.labels(kind).inc()
            m.shadow_score_shift.labels(kind).observe(score.score - event.score)
            if score.label == event.label:
                m.shadow_agreements.labels(kind).inc()
            else:
                m.shadow_flips.labels(kind, event.label, score.label).inc()

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
