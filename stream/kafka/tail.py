"""Reading a topic from the start (``finsentry tail``, the demo's alert printer, the tests)
or its recent end (the worker restoring its novelty index from the scored topic)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson

from stream.kafka.client import make_consumer
from stream.records import SourceRef
from stream.settings import KafkaSettings

__all__ = [
    "TopicSize",
    "read_messages",
    "read_recent",
    "read_topic",
    "read_topic_async",
    "topic_size_async",
]


async def read_topic_async(
    kafka: KafkaSettings,
    topic: str,
    *,
    timeout_s: float,
    until: Callable[[list[Any]], bool] | None = None,
    on_record: Callable[[Any], None] | None = None,
    idle_s: float | None = None,
) -> list[Any]:
    """Records (JSON-decoded, or raw bytes) from every partition's start.

    Stops when ``until(records)`` is true, after ``idle_s`` without a new record, or at
    ``timeout_s``.
    """
    consumer = make_consumer(kafka, topic)
    await consumer.start()
    out: list[Any] = []
    deadline = time.monotonic() + timeout_s
    last = time.monotonic()
    try:
        while time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=200, max_records=5000)
            for messages in batch.values():
                for m in messages:
                    try:
                        value: Any = orjson.loads(m.value)
                    except orjson.JSONDecodeError:
                        value = m.value
                    out.append(value)
                    last = time.monotonic()
                    if on_record:
                        on_record(value)
            if until is not None and until(out):
                break
            if idle_s is not None and out and time.monotonic() - last > idle_s:
                break
    finally:
        await consumer.stop()
    return out


def read_topic(kafka: KafkaSettings, topic: str, **kw: Any) -> list[Any]:
    return asyncio.run(read_topic_async(kafka, topic, **kw))


async def read_messages_async(
    kafka: KafkaSettings, topic: str, per_partition: int | None = None, timeout_s: float = 30.0
) -> list[tuple[SourceRef, bytes | None]]:
    """(source, raw value) of every record of every partition of ``topic`` (only the last
    ``per_partition`` of each when given), read up to the high-water mark fetches report
    (the embedded broker's listed end offset can be short, see ``kafka.changelog``)."""
    out: list[tuple[SourceRef, bytes | None]] = []

    def keep(m: Any) -> None:
        out.append((SourceRef(m.topic, m.partition, m.offset), m.value))

    await _scan(kafka, topic, per_partition, timeout_s, keep)
    return out


async def topic_size_async(kafka: KafkaSettings, topic: str, timeout_s: float = 60.0) -> TopicSize:
    """How many records ``topic`` holds and their key and value bytes (tombstones count 0)."""
    size = TopicSize()

    def count(m: Any) -> None:
        size.records += 1
        size.key_bytes += len(m.key or b"")
        size.value_bytes += len(m.value or b"")

    await _scan(kafka, topic, None, timeout_s, count)
    return size


@dataclass(slots=True)
class TopicSize:
    records: int = 0
    key_bytes: int = 0
    value_bytes: int = 0


async def _scan(
    kafka: KafkaSettings,
    topic: str,
    per_partition: int | None,
    timeout_s: float,
    visit: Callable[[Any], None],
) -> None:
    from aiokafka import TopicPartition

    consumer = make_consumer(kafka)
    await consumer.start()
    try:
        partitions = consumer.partitions_for_topic(topic) or set()
        if not partitions:
            await consumer.force_metadata_update()
            partitions = consumer.partitions_for_topic(topic) or set()
        tps = [TopicPartition(topic, p) for p in sorted(partitions)]
        if not tps:
            return
        consumer.assign(tps)
        if per_partition is None:
            await consumer.seek_to_beginning(*tps)
        else:
            ends = await consumer.end_offsets(tps)
            for tp in tps:
                consumer.seek(tp, max(0, ends[tp] - per_partition))
        done: set[Any] = set()
        deadline = time.monotonic() + timeout_s
        while len(done) < len(tps) and time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=300, max_records=10_000)
            for messages in batch.values():
                for m in messages:
                    visit(m)
            for tp in tps:
                highwater = consumer.highwater(tp)
                if highwater is not None and await consumer.position(tp) >= highwater:
                    done.add(tp)
    finally:
        await consumer.stop()


def read_messages(
    kafka: KafkaSettings, topic: str, per_partition: int | None = None, **kw: Any
) -> list[tuple[SourceRef, bytes | None]]:
    return asyncio.run(read_messages_async(kafka, topic, per_partition, **kw))


async def read_recent_async(
    kafka: KafkaSettings, topic: str, per_partition: int, timeout_s: float = 30.0
) -> list[Any]:
    """The last ``per_partition`` records of every partition of ``topic``, JSON-decoded
    (undecodable ones skipped)."""
    out = []
    for _, value in await read_messages_async(kafka, topic, per_partition, timeout_s):
        try:
            out.append(orjson.loads(value))  # type: ignore[arg-type]
        except (orjson.JSONDecodeError, TypeError):
            continue
    return out


def read_recent(kafka: KafkaSettings, topic: str, per_partition: int, **kw: Any) -> list[Any]:
    return asyncio.run(read_recent_async(kafka, topic, per_partition, **kw))
