"""A Kafka topic range as a re-scoring input: per-partition ``[start, end)`` offsets.

Bounds (``--from`` / ``--to``): ``earliest``, ``latest``, an offset for every partition
(``1200``), per-partition offsets (``0:1200,3:50``) or an ISO-8601 time (``2026-11-20T09:00Z``,
resolved with the broker's offsets-for-times). The range is resolved once and kept in the
checkpoint, so a resumed run reads exactly the same records.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from stream.errors import InputError
from stream.kafka.client import make_consumer
from stream.records import SourceRef
from stream.rescore.sources import Chunk
from stream.settings import KafkaSettings

__all__ = ["Bound", "parse_bound", "read_range", "resolve_range"]

log = logging.getLogger(__name__)

_PATIENCE_POLLS = 30  # one-second polls without a record before a range is called broken


@dataclass(frozen=True, slots=True)
class Bound:
    kind: str  # earliest | latest | offset | offsets | time
    offset: int = 0
    offsets: tuple[tuple[int, int], ...] = ()
    time_ms: int = 0


def parse_bound(text: str) -> Bound:
    value = text.strip()
    if value in ("earliest", "latest"):
        return Bound(value)
    if value.isdigit():
        return Bound("offset", offset=int(value))
    if ":" in value and all(part.split(":")[0].strip().isdigit() for part in value.split(",")):
        try:
            pairs = tuple(
                (int(p), int(o)) for p, o in (part.split(":") for part in value.split(","))
            )
        except ValueError:
            pass
        else:
            return Bound("offsets", offsets=pairs)
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        msg = (
            f"cannot read the range bound {text!r}: use earliest, latest, an offset (1200), "
            "per-partition offsets (0:1200,3:50) or an ISO time (2026-11-20T09:00Z)"
        )
        raise InputError(msg) from None
    when = when.replace(tzinfo=UTC) if when.tzinfo is None else when
    return Bound("time", time_ms=int(when.timestamp() * 1000))


async def _resolve_one(
    consumer: Any, tps: list[Any], bound: Bound, first: dict[Any, int], last: dict[Any, int]
) -> dict[int, int]:
    if bound.kind == "earliest":
        return {tp.partition: first[tp] for tp in tps}
    if bound.kind == "latest":
        return {tp.partition: last[tp] for tp in tps}
    if bound.kind == "offset":
        return {tp.partition: min(max(bound.offset, first[tp]), last[tp]) for tp in tps}
    if bound.kind == "offsets":
        given = dict(bound.offsets)
        return {
            tp.partition: min(max(given.get(tp.partition, last[tp]), first[tp]), last[tp])
            for tp in tps
        }
    found = await consumer.offsets_for_times({tp: bound.time_ms for tp in tps})
    return {tp.partition: found[tp].offset if found.get(tp) else last[tp] for tp in tps}


def _consumer(kafka: KafkaSettings) -> Any:
    return make_consumer(kafka, auto_offset_reset="latest", request_timeout_ms=15000)


async def _start(consumer: Any, kafka: KafkaSettings, topic: str) -> list[Any]:
    from aiokafka import TopicPartition
    from aiokafka.errors import KafkaError

    try:
        await consumer.start()
    except KafkaError as exc:
        await consumer.stop()
        msg = (
            f"cannot reach Kafka at {kafka.bootstrap_servers} ({type(exc).__name__}): check "
            "FINSENTRY_KAFKA__BOOTSTRAP_SERVERS and that the broker is up"
        )
        raise InputError(msg) from exc
    partitions = consumer.partitions_for_topic(topic)
    if not partitions:
        await consumer.stop()
        msg = f"topic {topic!r} does not exist on {kafka.bootstrap_servers}"
        raise InputError(msg)
    return [TopicPartition(topic, p) for p in sorted(partitions)]


async def _end_offsets(consumer: Any, tps: list[Any]) -> dict[Any, int]:
    """End offsets from fetched high-water marks: some brokers (Tansu) answer the list-offsets
    request for *latest* too low when the last batch held several records."""
    reported = await consumer.end_offsets(tps)
    consumer.assign(tps)
    for tp in tps:
        consumer.seek(tp, reported[tp])
    for _ in range(20):
        if all(consumer.highwater(tp) is not None for tp in tps):
            break
        await consumer.getmany(*tps, timeout_ms=250, max_records=1)
    highwater = {tp: consumer.highwater(tp) for tp in tps}
    missing = [tp.partition for tp, hw in highwater.items() if hw is None]
    if missing:
        msg = f"no fetch answer from partitions {missing} of {tps[0].topic}: is the broker healthy?"
        raise InputError(msg)
    return {tp: max(reported[tp], highwater[tp]) for tp in tps}


def resolve_range(
    kafka: KafkaSettings, topic: str, start: Bound, end: Bound
) -> dict[int, tuple[int, int]]:
    """``{partition: (start, end)}`` offsets, end exclusive."""

    async def run() -> dict[int, tuple[int, int]]:
        consumer = _consumer(kafka)
        tps = await _start(consumer, kafka, topic)
        try:
            first = await consumer.beginning_offsets(tps)
            last = await _end_offsets(consumer, tps)
            lo = await _resolve_one(consumer, tps, start, first, last)
            hi = await _resolve_one(consumer, tps, end, first, last)
        finally:
            await consumer.stop()
        return {p: (lo[p], max(lo[p], hi[p])) for p in lo}

    return asyncio.run(run())


def read_range(
    kafka: KafkaSettings,
    topic: str,
    ranges: dict[int, tuple[int, int]],
    next_offsets: dict[int, int],
    chunk_size: int,
) -> Iterator[Chunk]:
    """Chunks of the range from ``next_offsets`` on; each chunk's position is the next offset
    of every partition."""
    from aiokafka.errors import KafkaError

    loop = asyncio.new_event_loop()

    consumer: Any = None
    position = {p: max(next_offsets.get(p, lo), lo) for p, (lo, _) in ranges.items()}

    async def setup() -> tuple[Any, list[Any]]:
        # aiokafka binds to the loop running when it is created, assigned and seeked
        consumer = _consumer(kafka)
        tps = [tp for tp in await _start(consumer, kafka, topic) if tp.partition in ranges]
        consumer.assign(tps)
        for tp in tps:
            consumer.seek(tp, position[tp.partition])
        return consumer, tps

    try:
        consumer, tps = loop.run_until_complete(setup())
        idle = 0
        while True:
            open_tps = [tp for tp in tps if position[tp.partition] < ranges[tp.partition][1]]
            if not open_tps:
                return
            try:
                fetched = loop.run_until_complete(
                    consumer.getmany(*open_tps, timeout_ms=1000, max_records=chunk_size)
                )
            except KafkaError as exc:
                msg = f"reading {topic} from {kafka.bootstrap_servers} failed ({exc})"
                raise InputError(msg) from exc
            records: list[tuple[bytes, SourceRef]] = []
            for tp, messages in fetched.items():
                end = ranges[tp.partition][1]
                for m in messages:
                    if m.offset >= end:
                        break
                    records.append((m.value or b"", SourceRef(topic, tp.partition, m.offset)))
                    position[tp.partition] = m.offset + 1
            idle = 0 if fetched else idle + 1
            if idle >= _PATIENCE_POLLS:
                missing = {
                    tp.partition: (position[tp.partition], ranges[tp.partition][1])
                    for tp in open_tps
                }
                msg = (
                    f"no records from {topic} for {_PATIENCE_POLLS} s although the range is not "
                    f"finished (partition: (next, end) {missing}): were they deleted by "
                    "retention? narrow --from/--to"
                )
                raise InputError(msg)
            if records:
                yield Chunk(records, {"next": {str(p): o for p, o in position.items()}})
    finally:
        if consumer is not None:
            loop.run_until_complete(consumer.stop())
        loop.close()
