"""``faust_compat``: one test per overridden or read faust internal (the batch sinks' hand-over
and give-back: test_batch_sinks.py; the fetch wait: test_app.py)."""

from __future__ import annotations

import asyncio
from typing import Any

import faust
import pytest
from faust.transport.drivers import aiokafka as faust_aiokafka
from faust.types import TP

from stream.errors import DependencyError
from stream.worker.faust_compat import (
    PINNED_FAUST,
    Consumer,
    aiokafka_producer,
    broker_metadata,
    check_faust_version,
    committed_offsets,
)


class _Flow:
    def __init__(self, active: bool) -> None:
        self.active = active

    def is_active(self) -> bool:
        return self.active


class _App:
    def __init__(self, active: bool = True) -> None:
        self.flow_control = _Flow(active)
        self.conf = type("Conf", (), {"consumer_auto_offset_reset": "earliest"})()


class _Msg:
    def __init__(self, tp: Any, offset: int) -> None:
        self.tp, self.offset, self.acked, self.acks = tp, offset, False, 0

    def ack(self, consumer: Any) -> None:
        self.acks += 1


def _consumer(**state: Any) -> Any:
    """A Consumer with only the state the method under test reads (no broker, no faust app)."""
    consumer = Consumer.__new__(Consumer)
    consumer._unacked_messages = set()
    consumer._next = {}
    consumer._hole_seeks = {}
    consumer._stuck_since = {}
    for name, value in state.items():
        setattr(consumer, name, value)
    return consumer


def test_the_pinned_faust_is_checked_at_start() -> None:
    check_faust_version(PINNED_FAUST)  # the pinned one passes
    assert faust.__version__ == PINNED_FAUST  # and it is what is installed
    with pytest.raises(DependencyError, match=rf"0\.16\.0.*faust-streaming=={PINNED_FAUST}"):
        check_faust_version("0.16.0")


def test_admit_delivers_in_order_drops_duplicates_and_seeks_back_over_holes() -> None:
    tp = TP("news", 0)
    consumer = _consumer(_next={tp: 10})
    assert consumer._admit(tp, 10, True) == "deliver"
    assert consumer._admit(tp, 9, True) == "duplicate"  # already handed over
    assert consumer._admit(tp, 12, True) == "hole"  # 10..11 never came: seek back
    assert consumer._admit(tp, 12, True) == "hole"
    assert consumer._admit(tp, 12, True) == "hole"
    assert consumer._admit(tp, 12, True) == "gap"  # still missing after three seeks: real
    assert consumer._admit(tp, 50, False) == "deliver"  # no ordering for ack-less topics


def test_acks_during_a_rebalance_are_not_committed() -> None:
    tp = TP("news", 0)
    consumer = _consumer(app=_App(active=False))
    message = _Msg(tp, 3)
    consumer._unacked_messages.add(message)
    assert consumer.ack(message) is False
    assert message.acked and message not in consumer._unacked_messages


def test_release_acks_assigned_partitions_and_only_marks_revoked_ones() -> None:
    mine, gone = TP("news", 0), TP("news", 1)
    consumer = _consumer()
    consumer.assignment = lambda: {mine}
    kept, lost = _Msg(mine, 1), _Msg(gone, 1)
    consumer._unacked_messages |= {kept, lost}
    consumer.release([kept, lost])
    assert kept.acks == 1 and lost.acks == 0  # the new owner reprocesses from the commit
    assert lost.acked and lost not in consumer._unacked_messages


def test_unstick_fetches_again_from_a_commit_held_back_too_long() -> None:
    tp = TP("news", 0)
    sought: list[tuple[Any, int]] = []

    async def seek(self: Any, partition: Any, offset: int) -> None:
        sought.append((partition, offset))

    async def main() -> None:
        consumer = _consumer(_acked={tp: [8, 9]}, _committed_offset={tp: 5})
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(faust_aiokafka.Consumer, "seek", seek)
            assert await consumer.unstick(0.05) == []  # first seen: not stale yet
            await asyncio.sleep(0.06)
            assert await consumer.unstick(0.05) == [tp]
        assert sought == [(tp, 5)] and consumer._next[tp] == 5

    asyncio.run(main())


def test_committed_offsets_and_the_aiokafka_producer_are_read_through_one_door() -> None:
    tp = TP("news", 0)
    consumer = _consumer(_committed_offset={tp: 7})
    copy = committed_offsets(consumer)
    assert copy == {tp: 7} and copy is not consumer._committed_offset
    assert committed_offsets(object()) == {}

    inner = object()
    app = type("App", (), {"producer": type("P", (), {"_ensure_producer": lambda self: inner})()})
    assert aiokafka_producer(app()) is inner


def test_broker_metadata_asks_through_the_producer_and_gives_up_in_time() -> None:
    class Metadata:
        def brokers(self) -> set[int]:
            return {1, 2}

    class Client:
        def __init__(self, delay: float) -> None:
            self.delay = delay

        async def fetch_all_metadata(self) -> Metadata:
            await asyncio.sleep(self.delay)
            return Metadata()

    def app(delay: float) -> Any:
        producer = type("P", (), {"client": Client(delay)})()
        return type(
            "A", (), {"producer": type("F", (), {"_ensure_producer": lambda s: producer})()}
        )()

    assert asyncio.run(broker_metadata(app(0), 1.0)) == 2
    with pytest.raises(TimeoutError):
        asyncio.run(broker_metadata(app(5), 0.05))
