"""``InFlight``: batches prepared side by side, published in order, released once stored."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pytest

from stream.worker.inflight import InFlight


@dataclass
class Message:
    topic: str = "news"
    partition: int = 0
    offset: int = 0
    refcount: int = 1

    def incref(self) -> None:
        self.refcount += 1


async def submit(flight: InFlight[Any], messages: list[Message]) -> None:
    """What the consumer's fetch loop does: wait for room, then hand the batch over."""
    await flight.room()
    flight.hand_over(messages)


def batch(n: int) -> list[Message]:
    return [Message(offset=n * 10 + i) for i in range(3)]


def test_batches_are_prepared_together_published_in_order_and_released_once_stored() -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        published: list[int] = []
        released: list[int] = []
        preparing = 0
        most_at_once = 0
        acks: dict[int, asyncio.Future[None]] = {}

        async def prepare(events: Sequence[Any]) -> int:
            nonlocal preparing, most_at_once
            n = events[0].offset // 10
            preparing += 1
            most_at_once = max(most_at_once, preparing)
            await asyncio.sleep(0.05 if n == 0 else 0.01)  # the first batch is the slowest
            preparing -= 1
            return n

        async def publish(events: Sequence[Any], n: int) -> list[Any]:
            published.append(n)
            acks[n] = loop.create_future()
            return [acks[n]]

        def release(events: Sequence[Any]) -> None:
            released.append(events[0].offset // 10)

        flight: InFlight[int] = InFlight(prepare, publish, release, depth=3)
        runner = asyncio.ensure_future(flight.run())
        batches = [batch(n) for n in range(3)]
        for events in batches:
            await submit(flight, events)
        assert all(m.refcount == 2 for b in batches for m in b)  # one reference each
        assert not flight.has_room() and flight.in_flight == 3
        with pytest.raises(RuntimeError, match="no room"):
            flight.hand_over(batch(9))
        fourth = asyncio.ensure_future(submit(flight, batch(3)))
        await asyncio.sleep(0.1)
        assert most_at_once == 3
        assert published == [0, 1, 2]  # in take order although batch 0 was ready last
        assert released == [] and not fourth.done()  # nothing stored yet: no room
        acks[1].set_result(None)
        await asyncio.sleep(0.01)
        assert released == [1] and fourth.done()  # stored batches free their slot
        assert flight.in_flight == 3  # one left, the fourth came in
        for n in (0, 2):
            acks[n].set_result(None)
        await asyncio.sleep(0.05)
        acks[3].set_result(None)
        await asyncio.sleep(0.01)
        assert sorted(released) == [0, 1, 2, 3]
        runner.cancel()

    asyncio.run(main())


def test_failures_are_retried_and_a_failed_ack_sends_the_batch_again() -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        attempts = {"prepare": 0, "publish": 0}
        released: list[Sequence[Any]] = []

        async def prepare(events: Sequence[Any]) -> str:
            attempts["prepare"] += 1
            if attempts["prepare"] == 1:
                raise RuntimeError("model not loaded yet")
            return "scored"

        async def publish(events: Sequence[Any], prepared: str) -> list[Any]:
            attempts["publish"] += 1
            ack: asyncio.Future[None] = loop.create_future()
            if attempts["publish"] == 1:
                ack.set_exception(RuntimeError("broker said no"))
            else:
                ack.set_result(None)
            return [ack]

        flight: InFlight[str] = InFlight(prepare, publish, released.append, depth=1)
        runner = asyncio.ensure_future(flight.run())
        await submit(flight, batch(0))
        for _ in range(60):  # backoff 0.5 s then 0.5 s
            await asyncio.sleep(0.05)
            if released:
                break
        assert attempts == {"prepare": 2, "publish": 2}
        assert len(released) == 1
        runner.cancel()

    asyncio.run(main())


def test_a_batch_that_can_never_be_published_is_replaced_and_the_pipeline_moves_on() -> None:
    from aiokafka.errors import MessageSizeTooLargeError

    from stream.errors import OutputError

    async def main() -> None:
        loop = asyncio.get_running_loop()
        published: list[int] = []
        replaced: list[tuple[int, str]] = []
        released: list[int] = []

        async def prepare(events: Sequence[Any]) -> int:
            return events[0].offset // 10

        async def publish(events: Sequence[Any], n: int) -> list[Any]:
            if n == 0:
                raise OutputError("a 2000000-byte record does not fit a producer batch")
            ack: asyncio.Future[None] = loop.create_future()
            if n == 1:  # the broker refuses it: the ack fails for good
                ack.set_exception(MessageSizeTooLargeError())
            else:
                ack.set_result(None)
            published.append(n)
            return [ack]

        async def unpublishable(events: Sequence[Any], error: BaseException) -> list[Any]:
            replaced.append((events[0].offset // 10, type(error).__name__))
            done: asyncio.Future[None] = loop.create_future()
            done.set_result(None)
            return [done]

        flight: InFlight[int] = InFlight(
            prepare,
            publish,
            lambda events: released.append(events[0].offset // 10),
            depth=3,
            unpublishable=unpublishable,
        )
        runner = asyncio.ensure_future(flight.run())
        for n in range(3):
            await submit(flight, batch(n))
        for _ in range(20):
            await asyncio.sleep(0.01)
            if len(released) == 3:
                break
        assert replaced == [(0, "OutputError"), (1, "MessageSizeTooLargeError")]
        assert published == [1, 2]  # batch 1 was sent once, not again and again
        assert sorted(released) == [0, 1, 2]  # nothing stalls behind them
        runner.cancel()

    asyncio.run(main())


def test_without_a_replacement_even_permanent_failures_are_retried() -> None:
    from stream.errors import OutputError
    from stream.worker.inflight import is_permanent

    assert is_permanent(OutputError("too big")) and is_permanent(TypeError("not JSON"))
    assert not is_permanent(ConnectionError("broker away")) and not is_permanent(TimeoutError())
