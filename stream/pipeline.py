"""Micro-batches in flight: prepared side by side, published in the order they were taken.

faust acks a ``take`` batch as soon as the agent's loop moves on, and commits an offset once
every reference to its message is acked. An input agent hands each batch to :class:`InFlight`
and moves on at once: the pipeline takes one more reference on every message, prepares (parses
and scores) up to ``depth`` batches at the same time, publishes them one after the other in the
order they were taken, and lets go of its references once the broker has acknowledged every
output of the batch. Scoring never waits for broker round trips, and an offset still commits
only after its outputs are stored (at-least-once).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from functools import partial
from typing import Any, Generic, TypeVar

__all__ = ["InFlight", "describe", "retry_forever"]

log = logging.getLogger(__name__)

T = TypeVar("T")


def describe(events: Sequence[Any]) -> str:
    """``batch of N from topic[partition]@offset`` (the first event's position)."""
    first = events[0].message if events else None
    where = f"{first.topic}[{first.partition}]@{first.offset}" if first else "?"
    return f"batch of {len(events)} from {where}"


async def retry_forever(what: str, attempt: Callable[[], Awaitable[T]]) -> T:
    """Run ``attempt`` until it succeeds, backing off to 30 s and logging each failure.

    Giving up is not an option: the batch's offsets would be committed without its outputs.
    """
    delay = 0.5
    while True:
        try:
            return await attempt()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - any failure: retry, never drop
            log.error(
                "%s failed (%s: %s); retrying in %.1f s", what, type(exc).__name__, exc, delay
            )
            await asyncio.sleep(delay)
            delay = min(delay * 2, 30.0)


class InFlight(Generic[T]):
    """Up to ``depth`` batches between ``take`` and commit.

    ``prepare(events)`` runs for several batches at once; ``publish(events, prepared)`` runs
    for one batch at a time, in ``submit`` order, and returns the broker-ack futures of the
    batch's outputs; ``release(events)`` is called once they have all resolved.
    """

    def __init__(
        self,
        prepare: Callable[[Sequence[Any]], Awaitable[T]],
        publish: Callable[[Sequence[Any], T], Awaitable[list[Any]]],
        release: Callable[[Sequence[Any]], None],
        depth: int,
    ) -> None:
        self._prepare = prepare
        self._publish = publish
        self._release = release
        self._slots = asyncio.Semaphore(depth)
        self._queue: asyncio.Queue[tuple[Sequence[Any], asyncio.Future[T]]] = asyncio.Queue()
        self._tasks: set[asyncio.Future[Any]] = set()

    def _spawn(self, coro: Awaitable[Any]) -> asyncio.Future[Any]:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def submit(self, events: Sequence[Any]) -> None:
        """Hold ``events`` and start preparing them; waits while ``depth`` batches are out."""
        await self._slots.acquire()
        for event in events:
            event.message.incref()  # faust's own ack after this returns is then not the last
        self._queue.put_nowait((events, self._spawn(self._prepare(events))))

    async def run(self) -> None:
        """Publish the prepared batches in order; runs beside the agent's ``take`` loop."""
        try:
            while True:
                events, work = await self._queue.get()
                what = describe(events)
                try:
                    prepared = await work
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # noqa: BLE001 - prepared again below
                    log.error("%s failed (%s: %s)", what, type(exc).__name__, exc)
                    prepared = await retry_forever(what, partial(self._prepare, events))
                acks = await retry_forever(what, partial(self._publish, events, prepared))
                self._spawn(self._settle(events, prepared, acks))
        finally:
            for task in list(self._tasks):
                task.cancel()

    async def _settle(self, events: Sequence[Any], prepared: T, acks: list[Any]) -> None:
        """Wait for the batch's broker acks (a failed one sends the whole batch again), then
        release its events; frees the batch's slot in any case."""
        sends = [acks]

        async def stored() -> None:
            try:
                await asyncio.gather(*sends[-1])
            except Exception:
                sends.append(await self._publish(events, prepared))
                raise

        try:
            await retry_forever(describe(events) + " (broker acks)", stored)
            self._release(events)
        finally:
            self._slots.release()
