"""Catching the window table up with its changelog after a partition assignment.

faust recovers tables by reading each changelog partition up to the broker's *latest offset*.
The embedded broker (Tansu) under-reports that offset when the last produce batch held more
than one record, so faust can stop early and leave a stale state (seen after kill -9). This
reads the partition again up to the high-water mark that fetch responses report (which is
right) and keeps the latest value of every key. On Apache Kafka it is a cheap no-op re-read.
"""

from __future__ import annotations

import logging
import time
from collections.abc import MutableMapping

from stream.kafka.client import make_consumer
from stream.settings import KafkaSettings

__all__ = ["read_changelog_partition"]

log = logging.getLogger(__name__)


async def read_changelog_partition(
    kafka: KafkaSettings,
    topic: str,
    partition: int,
    into: MutableMapping[bytes, bytes],
    timeout_s: float = 60.0,
) -> int:
    """Load every record of ``topic[partition]`` into ``into`` (last value wins)."""
    from aiokafka import TopicPartition

    tp = TopicPartition(topic, partition)
    consumer = make_consumer(kafka)
    await consumer.start()
    read = 0
    try:
        consumer.assign([tp])
        await consumer.seek_to_beginning(tp)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            batch = await consumer.getmany(tp, timeout_ms=300, max_records=10_000)
            for message in batch.get(tp, []):
                if message.key is None:
                    continue
                if message.value is None:  # a tombstone: the key was evicted
                    into.pop(message.key, None)
                else:
                    into[message.key] = message.value
                read += 1
            highwater = consumer.highwater(tp)
            if highwater is not None and await consumer.position(tp) >= highwater:
                break
        else:
            log.warning(
                "%s[%d]: changelog catch-up timed out after %d records", topic, partition, read
            )
    finally:
        await consumer.stop()
    return read
