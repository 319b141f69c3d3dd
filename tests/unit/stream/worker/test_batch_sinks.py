"""The consumer's batch sinks: a fetch's input records go to the pipeline as batches, and a
batch that cannot be handed over before a rebalance is expected again."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from faust.types import TP

from stream.worker.faust_compat import Consumer
from stream.worker.inflight import InFlight

NEWS0, NEWS1 = TP("news", 0), TP("news", 1)


@dataclass(eq=False)
class Message:
    tp: TP
    offset: int
    refcount: int = 0
    tracked: bool = False

    @property
    def topic(self) -> str:
        return self.tp.topic

    @property
    def partition(self) -> int:
        return self.tp.partition

    def incref(self) -> None:
        self.refcount += 1


@dataclass
class WaitResults:
    stopped: bool


class FakeConsumer:
    """The state ``_hand_over`` and ``_give_back`` use, with the real methods."""

    _hand_over: Any = Consumer._hand_over
    _give_back: Any = Consumer._give_back

    def __init__(self) -> None:
        self.suspend_flow = asyncio.Event()
        self._unacked_messages: set[Message] = set()
        self._read_offset: dict[TP, int] = {}
        self._next: dict[TP, int] = {}

    async def wait_first(self, *awaitables: Any) -> WaitResults:
        tasks = [asyncio.ensure_future(a) for a in awaitables]
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in tasks:
            task.cancel()
        return WaitResults(stopped=False)


def fetched(consumer: FakeConsumer, tp: TP, offsets: range) -> list[Message]:
    """Records admitted by the fetch loop: the partition's next offset moved past them."""
    consumer._next[tp] = offsets.stop
    return [Message(tp, o) for o in offsets]


def sink(depth: int, handed: list[Sequence[Any]]) -> InFlight[None]:
    async def prepare(messages: Sequence[Any]) -> None:
        return None

    async def publish(messages: Sequence[Any], prepared: None) -> list[Any]:
        return []

    return InFlight(prepare, publish, lambda m: None, depth, 8, handed.append)


def test_a_batch_with_room_is_tracked_held_and_marked_read() -> None:
    async def main() -> None:
        consumer, handed = FakeConsumer(), list[Sequence[Any]]()
        flight = sink(1, handed)
        batch = fetched(consumer, NEWS0, range(10, 14)) + fetched(consumer, NEWS1, range(3, 5))
        assert await consumer._hand_over(flight, batch)
        assert handed == [batch]
        assert all(m.tracked and m.refcount == 1 for m in batch)
        assert consumer._unacked_messages == set(batch)  # commits wait for their release
        assert consumer._read_offset == {NEWS0: 13, NEWS1: 4}
        assert consumer._next == {NEWS0: 14, NEWS1: 5}

    asyncio.run(main())


def test_a_rebalance_before_room_gives_the_batch_back() -> None:
    async def main() -> None:
        consumer, handed = FakeConsumer(), list[Sequence[Any]]()
        flight = sink(1, handed)
        assert await consumer._hand_over(flight, fetched(consumer, NEWS0, range(0, 4)))
        waiting = fetched(consumer, NEWS0, range(4, 8))
        attempt = asyncio.ensure_future(consumer._hand_over(flight, waiting))
        await asyncio.sleep(0.01)
        assert not attempt.done()  # the pipeline is full: the fetch loop waits
        consumer.suspend_flow.set()  # a rebalance starts
        assert await asyncio.wait_for(attempt, 1) is False
        assert len(handed) == 1 and not any(m.tracked for m in waiting)
        assert consumer._next[NEWS0] == 4  # these records are expected again
        assert consumer._read_offset == {NEWS0: 3}

    asyncio.run(main())


def test_a_batch_waits_for_room_then_goes() -> None:
    async def main() -> None:
        consumer, handed = FakeConsumer(), list[Sequence[Any]]()
        flight = sink(1, handed)
        runner = asyncio.ensure_future(flight.run())
        first = fetched(consumer, NEWS0, range(0, 4))
        assert await consumer._hand_over(flight, first)
        second = fetched(consumer, NEWS0, range(4, 8))
        assert await asyncio.wait_for(consumer._hand_over(flight, second), 1)
        assert handed == [first, second]  # the first one's outputs were stored: room again
        runner.cancel()

    asyncio.run(main())


def test_giving_back_leaves_a_partition_alone_once_a_seek_moved_it() -> None:
    consumer = FakeConsumer()
    batch = fetched(consumer, NEWS0, range(20, 25)) + fetched(consumer, NEWS1, range(7, 9))
    consumer._next[NEWS1] = 2  # a rebalance sought partition 1 back to its commit meanwhile
    consumer._give_back(batch)
    assert consumer._next == {NEWS0: 20, NEWS1: 2}
