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
from stream.pipeline.batch import (
    BatchContext,
    BatchResult,
    covered_offsets,
    judge_novelty,
    run_batch,
)
from stream.pipeline.kinds import RecordKind
from stream.pipeline.parse import ParseContext, dead_letter
from stream.pipeline.score import BatchScorer
from stream.records import SourceRef
from stream.worker.drift import DriftMonitor
from stream.worker.shadow import ShadowScorer
from stream.worker.summaries import RejectSummary

__all__ = [
    "InputHandler",
    "OutputTopics",
    "Prepared",
    "Sender",
    "contribution_messages",
    "partition_for",
    "raw_and_source",
]

log = logging.getLogger(__name__)


MAX_MESSAGE_BYTES = 512 * 1024  # a contributions message stays well under Kafka's 1 MB


def contribution_messages(
    contributions: list[list[Any]], covered: dict[str, Any], limit: int = MAX_MESSAGE_BYTES
) -> list[bytes]:
    """One contributions message (``{"c": [...], "r": covered}``), or as many as it takes to
    keep each under ``limit`` bytes: the windows apply each, idempotently, in order. Only the
    last one says what the batch covered (the windows may apply the first ones alone)."""
    body = orjson.dumps({"c": contributions, "r": covered})
    if len(body) <= limit or len(contributions) <= 1:
        return [body]
    half = len(contributions) // 2
    return contribution_messages(contributions[:half], {}, limit) + contribution_messages(
        contributions[half:], covered, limit
    )


def partition_for(key: str, partitions: int) -> int:
    """Stable subject-key routing for the contributions topic (same on every worker)."""
    return zlib.crc32(key.encode()) % partitions


class Sender(Protocol):
    """What the handlers send through (``stream.worker.outbox.Outbox``)."""

    async def send(
        self, topic: str, key: bytes | None, value: bytes | None, partition: int | None = None
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


def raw_and_source(message: Any) -> tuple[bytes, SourceRef]:
    """A consumed message's payload (a null value as empty) and where it came from."""
    value = message.value
    if not isinstance(value, bytes):  # a null value (tombstone) parses as ``empty``
        value = b"" if value is None else str(value).encode()
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
        drift: DriftMonitor | None = None,
        shadow: ShadowScorer | None = None,
    ) -> None:
        self.kind = kind
        self._drift = drift
        self._shadow = shadow
        self._ctx = ctx
        self._scorer = scorer
        self._executor = executor
        self._sender = sender
        self._topics = topics
        self._metrics = metrics
        self._labels = labels
        self._rejects = RejectSummary(kind.name, log)
        self._novelty_turn: asyncio.Future[None] | None = None  # the last batch's judging

    def received(self, messages: Sequence[Any]) -> None:
        """A batch was handed over (counted once, however often it is retried)."""
        self._metrics.consumed.labels(self.kind.name).inc(len(messages))
        self._metrics.last_record.labels(self.kind.name).set(time.time())

    async def prepare(self, messages: Sequence[Any]) -> Prepared:
        """Parse and score one micro-batch in an inference thread (several run at once), then
        judge its novelty in turn: batches are judged in the order they were handed over,
        so a story's copies never come before it."""
        loop = asyncio.get_running_loop()
        before, mine = self._novelty_turn, loop.create_future()
        self._novelty_turn = mine
        try:
            now = datetime.now(UTC)
            raws = [raw_and_source(m) for m in messages]
            scorer = await self._scorer(self.kind.task)
            result = await loop.run_in_executor(
                self._executor, run_batch, self.kind, raws, scorer, self._ctx, now, False
            )
            if before is not None:
                await before
            await loop.run_in_executor(self._executor, judge_novelty, result, self._ctx)
            return Prepared(now, result)
        finally:
            if not mine.done():
                mine.set_result(None)

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
            if self._drift is not None:
                self._drift.observe(result)
            if self._shadow is not None:
                self._shadow.submit(result)
        for dead in result.dead_letters:
            self._metrics.rejected.labels(kind, dead.reason).inc()
            self._rejects.add(dead.reason, str(dead.source), dead.detail)
            wire = orjson.dumps({"kind": kind, **dead.to_wire(prepared.now)})
            key = str(dead.source).encode()
            pending.append(await self._sender.send(self._topics.dead_letters, key, wire))
        if result.dead_letters:
            self._metrics.dead_letters.labels(kind).inc(len(result.dead_letters))
        if result.subjects_dropped:
            self._metrics.subjects_dropped.labels(kind).inc(result.subjects_dropped)
        self._rejects.flush()
        return pending

    async def unpublishable(self, messages: Sequence[Any], error: BaseException) -> list[Any]:
        """Dead letters for a batch whose outputs can never be published (``InFlight``): the
        partition moves on, and every record of the batch is accounted for."""
        now = datetime.now(UTC)
        detail = f"its outputs cannot be published ({type(error).__name__}: {error})"[:500]
        ctx = ParseContext(self._ctx.limits, now, self._ctx.account_key)
        pending = []
        for raw, ref in (raw_and_source(m) for m in messages):
            dead = dead_letter(self.kind, "unpublishable", detail, ref, raw, ctx)
            self._metrics.rejected.labels(self.kind.name, dead.reason).inc()
            self._rejects.add(dead.reason, str(ref), detail)
            wire = orjson.dumps({"kind": self.kind.name, **dead.to_wire(now)})
            key = str(ref).encode()
            pending.append(await self._sender.send(self._topics.dead_letters, key, wire))
        self._metrics.dead_letters.labels(self.kind.name).inc(len(messages))
        self._rejects.flush(force=True)
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
            for body in contribution_messages(grouped.get(partition, []), covered):
                pending.append(await self._sender.send(topics.contributions, None, body, partition))
        sent = time.time()
        for m in messages:
            stamp = getattr(m, "timestamp", None)
            if stamp:
                self._metrics.e2e_seconds.labels(kind).observe(max(0.0, sent - stamp))
        return pending
