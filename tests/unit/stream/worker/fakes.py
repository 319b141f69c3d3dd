"""Stand-ins for the worker's unit tests: a sender that records what it sends, messages."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


class RecordingSender:
    """``Sender`` that keeps every record and returns resolved ack futures."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes | None, bytes | None, int | None]] = []

    def _ack(self) -> asyncio.Future[None]:
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        done.set_result(None)
        return done

    async def send(
        self, topic: str, key: bytes | None, value: bytes | None, partition: int | None = None
    ) -> Any:
        self.sent.append((topic, key, value, partition))
        return self._ack()

    async def send_keyed(self, topic: str, records: Sequence[tuple[bytes, bytes]]) -> list[Any]:
        self.sent += [(topic, key, value, None) for key, value in records]
        return [self._ack()]

    def to(self, topic: str) -> list[tuple[bytes | None, bytes | None, int | None]]:
        return [(k, v, p) for t, k, v, p in self.sent if t == topic]


@dataclass
class Message:
    topic: str
    partition: int
    offset: int
    value: bytes
    timestamp: float | None = None
