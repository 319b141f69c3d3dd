"""Reading a topic from the start: ``finsentry tail``, the demo's alert printer, the tests."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import orjson

from stream.kafka.client import make_consumer
from stream.settings import KafkaSettings

__all__ = ["read_topic", "read_topic_async"]


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
