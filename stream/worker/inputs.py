"""The input side of the worker, one handler per record kind.

``prepare`` runs the shared batch step (``stream.pipeline.batch.run_batch``: parse, score) on
one micro-batch in an inference thread; ``publish`` sends its scored events, its window
contributions (one message per contributions partition, routed by subject key, with the
source offsets the batch covered) and its dead letters, and returns the broker-ack futures
that must resolve before the batch's offsets may be committed. ``stream.worker.inflight``
calls both, several batches at a time, publishing in hand-over order.
"""

from __future__ import annotations

import asyncio
import logging
import time
import zlib
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

import orjson

from exporters.metrics import Metrics, SubjectLabels
from stream.pipeline.batch import BatchContext, BatchResult, covered_offsets, run_batch
from stream.pipeline.kinds import RecordKind
from stream.pipeline.score import BatchScorer
from stream.records import SourceRef

__all__ = ["InputHandler", "OutputTopics", "Prepared", "Sender", "partition_for"]

log = logging.getLogger(__name__)


def partition_for(key: str, partitions: int) -> int:
    """Stable subject-key routing for the contributions topic (same on every worker)."""
    return zlib.crc32(key.encode()) % partitions


class Sender(Protocol):
    """What the handlers send through (``stream.worker.outbox.Outbox``)."""

    async def send(
        self, topic: str, key: bytes | None, value: bytes, partition: int | None = None
    ) -> Any: ...

    async def send_keyed(self, topic: str, records: Sequence[tuple[bytes, bytes]]) -> list[Any]: ...


@dataclass(frozen=True, slots=True)
class OutputTopics:
    scored: str
    dead_letters: str
    contributions: str
    partitions: int  # of the contributions topic


@dataclass(frozen=True, slots=True)
class Prepared:
    """One input batch, parsed and scored, waiting for its turn to be published."""

    now: datetime
    result: BatchResult


def _raw(message: Any) -> tuple[bytes, SourceRef]:
    value = message.value if isinstance(message.value, bytes) else str(message.value).encode()
    return value, SourceRef(message.topic, message.partition, message.offset)


class InputHandler:
    """Prepare and publish the micro-batches of one record kind."""

    def __init__(
        self,
        kind: RecordKind,
        ctx: BatchContext,
        scorer: Callable[[str], Awaitable[BatchScorer]],
        executor: Executor,
        sender: Sender,
        topics: OutputTopics,
        metrics: Metrics,
        labels: SubjectLabels,
    ) -> None:
        self.kind = kind
        self._ctx = ctx
        self._scorer = scorer
        self._executor = executor
        self._sender = sender
        self._topics = topics
        self._metrics = metrics
        self._labels = labels

    def received(self, messages: Sequence[Any]) -> None:
        """A batch was handed over (counted once, however often it is retried)."""
        self._metrics.consumed.labels(self.kind.name).inc(len(messages))
        self._metrics.last_record.labels(self.kind.name).set(time.time())

    async def prepare(self, messages: Sequence[Any]) -> Prepared:
        """Parse and score one micro-batch in an inference thread (several run at once)."""
        now = datetime.now(UTC)
        raws = [_raw(m) for m in messages]
        scorer = await self._scorer(self.kind.task)
        loop = asyncio.get_running_loop()
        result = await loop.run_in_executor(
            self._executor, run_batch, self.kind, raws, scorer, self._ctx, now
        )
        return Prepared(now, result)

    async def publish(self, messages: Sequence[Any], prepared: Prepared) -> list[Any]:
        """Send one batch's outputs; returns their broker-ack futures.

        Sends leave at once (straight to the producer): faust would attach a send to the
        *current* event and publish it when that event's offset commits, but a batch spans
        partitions, so the other partitions' offsets could commit first and a kill -9 lost
        their scores.
        """
        result, kind = prepared.result, self.kind.name
        pending: list[Any] = []
        if result.items:
            self._metrics.inference_seconds.labels(kind).observe(result.inference_s)
            self._metrics.batch_size.labels(kind).observe(len(result.items))
            pending += await self._publish_scored(result, messages)
        for dead in result.dead_letters:
            self._metrics.rejected.labels(kind, dead.reason).inc()
            log.warning("rejected %s: %s (%s)", dead.source, dead.reason, dead.detail[:200])
            wire = orjson.dumps({"kind": kind, **dead.to_wire(prepared.now)})
            key = str(dead.source).encode()
            pending.append(await self._sender.send(self._topics.dead_letters, key, wire))
        if result.dead_letters:
            self._metrics.dead_letters.labels(kind).inc(len(result.dead_letters))
        return pending

    async def _publish_scored(self, result: BatchResult, messages: Sequence[Any]) -> list[Any]:
        kind, topics = self.kind.name, self._topics
        grouped: dict[int, list[list[Any]]] = defaultdict(list)
        per_subject: Counter[str] = Counter()
        labels: Counter[str] = Counter()
        for scored in result.scored:
            labels[scored.label] += 1
        for c in result.contributions():
            grouped[partition_for(c.key, topics.partitions)].append(c.to_wire())
            per_subject[self._labels.label(c.key)] += 1
        pending = await self._sender.send_keyed(
            topics.scored, [(s.id.encode(), orjson.dumps(s.to_wire())) for s in result.scored]
        )
        for label, n in labels.items():
            self._metrics.scored.labels(kind, label).inc(n)
        for subject, n in per_subject.items():
            self._metrics.topic_records.labels(kind, subject).inc(n)
        # Every windows partition hears of every batch, with the source offsets it covered:
        # the windows remember them as ranges (see ``stream.pipeline.offsets``).
        covered = covered_offsets(result.sources)
        for partition in range(topics.partitions):
            body = orjson.dumps({"c": grouped.get(partition, []), "r": covered})
            pending.append(await self._sender.send(topics.contributions, None, body, partition))
        sent = time.time()
        for m in messages:
            stamp = getattr(m, "timestamp", None)
            if stamp:
                self._metrics.e2e_seconds.labels(kind).observe(max(0.0, sent - stamp))
        return pending
