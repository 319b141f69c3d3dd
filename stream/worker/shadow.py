"""Shadow scoring: a candidate model also scores a share of the records, for metrics only.

Which records: those whose id hashes below ``share`` (the same record is always in or out,
in every worker and after a restart). After a batch is published its sampled records wait
until ``batch`` of them are there (length-bucketed runs of one record would cost more per
record than the serving model's) or the oldest waited ``flush_s``; the candidate then scores
them in its own one-thread executor, never on the path to the scored topic. While it runs the
next ones gather; beyond four runs' worth the oldest are dropped and counted
(``reason="busy"``), so a slow candidate costs samples, not throughput. What it measures,
per kind: records, agreements, label flips per (serving, shadow) pair and the score shift
(shadow - serving) as a summary.
"""

from __future__ import annotations

import asyncio
import logging
import time
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
        self,
        load: Callable[[], Classifier],
        share: float,
        metrics: Metrics,
        version: str,
        batch: int = 64,
        flush_s: float = 2.0,
    ) -> None:
        self._load = load
        self._share = share
        self._metrics = metrics
        self.version = version
        self._batch = batch  # sampled records gathered per shadow run (length-bucketed)
        self._flush_s = flush_s  # ... or fewer, once the oldest waited this long
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="finsentry-shadow")
        self._classifier: Classifier | None = None
        self._failed = False
        self._running: asyncio.Future[list[Score]] | None = None
        self._waiting: dict[str, tuple[str, list[tuple[ScoredEvent, str]], float]] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def submit(self, result: BatchResult) -> None:
        """Gather the sampled records of a published batch; shadow-score them in the
        background once ``batch`` are waiting (or the oldest waited ``flush_s``)."""
        if self._failed or not result.scored:
            return
        picked = [event for event in result.scored if sampled(event.id, self._share)]
        if not picked:
            return
        kind = result.kind
        records = {ref: record for record, ref in result.items}
        pairs = [(e, kind.model_text(records[e.source])) for e in picked if e.source in records]
        task, waiting, since = self._waiting.get(kind.name, (kind.task, [], time.monotonic()))
        waiting += pairs
        overflow = len(waiting) - 4 * self._batch  # the shadow cannot keep up: drop the oldest
        if overflow > 0:
            self._metrics.shadow_failures.labels(kind.name, "busy").inc(overflow)
            del waiting[:overflow]
        self._waiting[kind.name] = (task, waiting, since)
        self._launch()

    def _launch(self) -> None:
        if self._running is not None and not self._running.done():
            return
        now = time.monotonic()
        for name, (task, waiting, since) in list(self._waiting.items()):
            if len(waiting) < self._batch and now - since < self._flush_s:
                continue
            del self._waiting[name]
            loop = asyncio.get_running_loop()
            self._running = loop.run_in_executor(
                self._executor, self._score, task, [t for _, t in waiting]
            )
            report = self._report(name, [e for e, _ in waiting], self._running)
            reporting = asyncio.ensure_future(report)
            self._tasks.add(reporting)
            reporting.add_done_callback(self._tasks.discard)
            return

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
        self._launch()  # what gathered meanwhile

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
