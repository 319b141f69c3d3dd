"""Sending the worker's outputs straight to the Kafka producer.

Scored events, contributions, changelog writes, dead letters and alerts skip faust's
per-message channel and sensor machinery, which cost more than the send itself here. Like
faust's ``force=True`` sends they leave at once; each call returns broker-ack futures that
the caller awaits before the input offsets behind them may be committed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from aiokafka.partitioner import DefaultPartitioner

from stream.errors import OutputError
from stream.worker.faust_compat import aiokafka_producer

__all__ = ["Outbox"]


class Outbox:
    """``send`` one record or ``send_keyed`` many through ``app``'s producer."""

    def __init__(self, app: Any, partitions: int) -> None:
        self._app = app
        self._partitions = list(range(partitions))
        self._partitioner = DefaultPartitioner()

    async def send(
        self, topic: str, key: bytes | None, value: bytes | None, partition: int | None = None
    ) -> Any:
        """One record (``partition`` None: by key, as Kafka clients do; ``value`` None: a
        tombstone, which a compacted topic deletes the key for)."""
        return await self._app.producer.send(topic, key, value, partition, None, None)

    async def send_keyed(self, topic: str, records: Sequence[tuple[bytes, bytes]]) -> list[Any]:
        """Many keyed records, partitioned by key like any Kafka client (murmur2), as one
        record batch per partition: one future per batch instead of one per record."""
        by_partition: dict[int, list[tuple[bytes, bytes]]] = defaultdict(list)
        for key, value in records:
            by_partition[self._partitioner(key, self._partitions, None)].append((key, value))
        producer = aiokafka_producer(self._app)
        futures = []
        for partition, items in by_partition.items():
            batch = producer.create_batch()
            for key, value in items:
                if batch.append(timestamp=None, key=key, value=value) is None:  # batch full
                    futures.append(await producer.send_batch(batch, topic, partition=partition))
                    batch = producer.create_batch()
                    if batch.append(timestamp=None, key=key, value=value) is None:
                        msg = f"a {len(value)}-byte record does not fit a producer batch"
                        raise OutputError(msg)
            futures.append(await producer.send_batch(batch, topic, partition=partition))
        return futures
