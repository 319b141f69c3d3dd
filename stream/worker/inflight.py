"""Micro-batches in flight: prepared side by side, published in the order they were handed over.

faust commits an offset once every reference to its message is acked. The consumer hands the
input records of each fetch to :class:`InFlight` in batches (``stream.worker.faust_compat``): the
pipeline takes a reference on every message, prepares (parses and scores) up to ``depth``
batches at the same time, publishes them one after the other in the order they came, and lets
go of its references once the broker has acknowledged every output of the batch. Scoring
never waits for broker round trips, and an offset still commits only after its outputs are
stored (at-least-once).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from functools import partial
from typing import Any, Generic, TypeVar

__all__ = ["InFlight", "describe", "is_permanent", "retry_forever"]

log = logging.getLogger(__name__)

T = TypeVar("T")


def describe(messages: Sequence[Any]) -> str:
    """``batch of N from topic[partition]@offset`` (the first message's position)."""
    first = messages[0] if messages else None
    where = f"{first.topic}[{first.partition}]@{first.offset}" if first else "?"
    return f"batch of {len(messages)} from {where}"


def is_permanent(exc: BaseException) -> bool:
    """A failure that the same attempt can never get past: an output too large for the
    producer or the broker, or a value that does not serialise. Anything else (a broker that
    is away, a timeout, a refused request) may pass when tried again."""
    from aiokafka.errors import (
        MessageSizeTooLargeError,
        RecordListTooLargeError,
        RecordTooLargeError,
    )

    from stream.errors import OutputError

    too_large = (MessageSizeTooLargeError, RecordTooLargeError, RecordListTooLargeError)
    return isinstance(exc, (OutputError, TypeError, *too_large))


async def retry_forever(
    what: str, attempt: Callable[[], Awaitable[T]], *, stop_on_permanent: bool = False
) -> T:
    """Run ``attempt`` until it succeeds, backing off to 30 s and logging each failure.

    Giving up is not an option: the batch's offsets would be committed without its outputs.
    With ``stop_on_permanent``, a failure that can never pass (``is_permanent``) is raised at
    once instead, for the caller to dead-letter what it concerns.
    """
    delay = 0.5
    while True:
        try:
            return await attempt()
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            if stop_on_permanent and is_permanent(exc):
                raise
            log.error(
                "%s failed (%s: %s); retrying in %.1f s", what, type(exc).__name__, exc, delay
            )
            await asyncio.sleep(delay)
            delay = min(delay * 2, 30.0)


class InFlight(Generic[T]):
    """Up to ``depth`` batches of messages between hand-over and commit.

    ``prepare(messages)`` runs for several batches at once; ``publish(messages, prepared)``
    runs for one batch at a time, in hand-over order, and returns the broker-ack futures of the
    batch's outputs; ``release(messages)`` is called once they have all resolved. Batches hold
    at most ``max_batch`` messages (the consumer splits larger fetches); ``received(messages)``
    (optional) hears of each batch once, when it is handed over. ``unpublishable(messages,
    error)`` (optional) publishes what replaces a batch whose outputs can never be published
    (``is_permanent``: dead letters, say) and returns their acks; without it such a batch is
    retried like any other failure.
    """

    def __init__(
        self,
        prepare: Callable[[Sequence[Any]], Awaitable[T]],
        publish: Callable[[Sequence[Any], T], Awaitable[list[Any]]],
        release: Callable[[Sequence[Any]], None],
        depth: int,
        max_batch: int = 128,
        received: Callable[[Sequence[Any]], None] | None = None,
        unpublishable: Callable[[Sequence[Any], BaseException], Awaitable[list[Any]]] | None = None,
    ) -> None:
        self._prepare = prepare
        self._received = received
        self._unpublishable = unpublishable
        self._publish = publish
        self._release = release
        self.max_batch = max_batch
        self._depth = depth
        self._free = depth
        self._room = asyncio.Event()
        self._queue: asyncio.Queue[tuple[Sequence[Any], asyncio.Future[T]]] = asyncio.Queue()
        self._tasks: set[asyncio.Future[Any]] = set()

    def _spawn(self, coro: Awaitable[Any]) -> asyncio.Future[Any]:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def has_room(self) -> bool:
        return self._free > 0

    @property
    def in_flight(self) -> int:
        """Batches handed over and not yet released."""
        return self._depth - self._free

    async def room(self) -> None:
        """Wait until a batch can be handed over."""
        while not self._free:
            self._room.clear()
            await self._room.wait()

    def hand_over(self, messages: Sequence[Any]) -> None:
        """Hold ``messages`` (one reference each) and start preparing them; needs room."""
        if not self._free:
            msg = "no room in the pipeline: await room() first"
            raise RuntimeError(msg)
        self._free -= 1
        for message in messages:
            message.incref()
        if self._received is not None:
            self._received(messages)
        self._queue.put_nowait((messages, self._spawn(self._prepare(messages))))

    async def run(self) -> None:
        """Publish the prepared batches in order; runs beside the consumer's fetch loop."""
        try:
            while True:
                messages, work = await self._queue.get()
                what = describe(messages)
                try:
                    prepared = await work
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # noqa: BLE001 - prepared again below
                    log.error("%s failed (%s: %s)", what, type(exc).__name__, exc)
                    prepared = await retry_forever(what, partial(self._prepare, messages))
                acks = await self._send(what, messages, prepared)
                self._spawn(self._settle(messages, prepared, acks))
        finally:
            for task in list(self._tasks):
                task.cancel()

    async def _send(self, what: str, messages: Sequence[Any], prepared: T) -> list[Any]:
        """Publish the batch (retrying); one that can never be published is replaced by what
        ``unpublishable`` sends, so the partition moves on."""
        attempt = partial(self._publish, messages, prepared)
        if self._unpublishable is None:
            return await retry_forever(what, attempt)
        try:
            return await retry_forever(what, attempt, stop_on_permanent=True)
        except Exception as exc:  # noqa: BLE001 - permanent by now (retry_forever raised it)
            return await self._replace(what, messages, exc)

    async def _replace(self, what: str, messages: Sequence[Any], exc: BaseException) -> list[Any]:
        assert self._unpublishable is not None  # noqa: S101 - checked by the callers
        log.error(
            "%s can never be published (%s: %s): dead-lettering its records",
            what,
            type(exc).__name__,
            exc,
        )
        return await retry_forever(what, partial(self._unpublishable, messages, exc))

    async def _settle(self, messages: Sequence[Any], prepared: T, acks: list[Any]) -> None:
        """Wait for the batch's broker acks (a failed one sends the whole batch again; one the
        broker can never accept replaces the batch by ``unpublishable``), then release its
        messages; frees the batch's slot in any case."""
        sends = [acks]
        what = describe(messages)
        replaced: list[BaseException] = []  # the permanent error, once the batch was replaced

        async def again() -> list[Any]:
            if replaced:
                return await self._replace(what, messages, replaced[0])
            return await self._publish(messages, prepared)

        async def stored() -> None:
            try:
                await asyncio.gather(*sends[-1])
            except Exception as exc:
                if self._unpublishable is None or replaced or not is_permanent(exc):
                    sends.append(await again())
                    raise
                replaced.append(exc)
                sends.append(await again())
                await asyncio.gather(*sends[-1])  # the replacement's acks, without a backoff

        try:
            await retry_forever(describe(messages) + " (broker acks)", stored)
            self._release(messages)
        finally:
            self._free += 1
            self._room.set()
