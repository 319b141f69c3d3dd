"""Everything that touches faust's (and aiokafka's) private internals, in one module.

faust-streaming is pinned (``PINNED_FAUST``); :func:`check_faust_version` runs when the worker
starts and refuses another version, since each override below re-implements or reads a private
part of that version. One test per overridden behaviour: tests/unit/stream/worker/.

Overridden or read here, and nowhere else:
- ``Consumer._drain_messages`` (the fetch loop), ``ack``, ``seek``, ``perform_seek``,
  ``on_partitions_revoked``: the consumer fixes and batch sinks described below;
- ``AIOKafkaConsumerThread._create_worker_consumer``: the fetch wait and minimum size;
- ``App._new_transport``: the fixed consumer;
- ``Consumer._committed_offset`` (:func:`committed_offsets`, for the lag collector) and
  ``Producer._ensure_producer`` (:func:`aiokafka_producer`, for whole record batches).

Fixes for faust-streaming 0.15.3's consumer, which can skip records around a rebalance.

Seen here with kill -9 and restarts (the embedded broker rebalances a starting worker twice,
both times with generation 1, so faust's generation checks do not fire):

1. ``_drain_messages`` records a message as *read* even when a rebalance suspended the flow
   before it was handed over; re-fetched messages at or below the read offset are dropped.
2. ``getmany`` silently discards fetched records of partitions that are not active at that
   moment, although the fetch position has moved past them.
3. A stream *skips and acks* the events queued when a rebalance starts; their offsets are
   then committed although they were never processed.

Each left a hole in a partition: the records never reached the scored topic, or were
processed later than records after them, so the windows (which then skipped any offset at
or below the highest one applied per source partition; they now remember applied offset
ranges) dropped them as duplicates.

This consumer delivers each partition's records in offset order without holes: a record past
the next expected offset makes it seek back to that offset (a gap that is still there after
a few seeks is real, e.g. transaction markers, and is accepted); a record below it was already
delivered and is not delivered again; an offset counts as read only once handed over; and
acks that arrive while the flow is suspended are not committed (the new assignment fetches
those records again from the committed offset: at-least-once).

Handing a record over runs inline (no tasks) unless it has to wait for room, which is when a
rebalance can overtake it.

Topics with a *batch sink* (the input topics, ``add_batch_sink``) skip faust's per-record
path (an event, a channel queue and a stream turn per record: about a quarter of the worker's
event-loop CPU when profiled): the records of each fetch go to the sink as batches of up to
``max_batch``, tracked for commits like faust's streams track them; the sink (a
``stream.pipeline.InFlight``) holds a reference on each and ``release``-s them once their
outputs are stored.

It also makes the fetch wait a setting: faust fixes it at 1500 ms, and a broker that answers
a fetch only when the wait expires (Tansu does) then delays every record by up to that long.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from typing import Any, Protocol

import faust
from faust.transport.consumer import CONSUMER_FETCHING
from faust.transport.drivers import aiokafka as faust_aiokafka

from stream.errors import DependencyError
from stream.worker.resume import run_until_blocked

__all__ = [
    "PINNED_FAUST",
    "App",
    "BatchSink",
    "Consumer",
    "ConsumerThread",
    "Transport",
    "aiokafka_producer",
    "broker_metadata",
    "check_faust_version",
    "committed_offsets",
]

log = logging.getLogger(__name__)

PINNED_FAUST = "0.15.3"


def check_faust_version(installed: str | None = None) -> None:
    """Refuse a faust-streaming other than the pinned one (whose internals this module uses)."""
    found = installed if installed is not None else faust.__version__
    if found != PINNED_FAUST:
        msg = (
            f"faust-streaming {found} is installed, but the worker's consumer fixes are written "
            f"for {PINNED_FAUST} (stream/worker/faust_compat.py): install "
            f"faust-streaming=={PINNED_FAUST}, or re-check each override against {found} first"
        )
        raise DependencyError(msg)


def committed_offsets(consumer: Any) -> dict[Any, int]:
    """A copy of the consumer's committed offsets per partition (faust keeps them privately)."""
    return dict(getattr(consumer, "_committed_offset", {}))


def aiokafka_producer(app: Any) -> Any:
    """The aiokafka producer behind faust's, for sending whole record batches."""
    return app.producer._ensure_producer()


async def broker_metadata(app: Any, timeout_s: float) -> int:
    """Ask the broker for the cluster's metadata through the worker's producer connection;
    returns the number of brokers, raises when none answers within ``timeout_s``."""
    metadata = await asyncio.wait_for(aiokafka_producer(app).client.fetch_all_metadata(), timeout_s)
    return len(metadata.brokers())


_GAP_SEEKS = 3  # seeks back to a missing offset before the gap is taken as real


class BatchSink(Protocol):
    """Where a topic's records go in batches instead of faust's streams."""

    max_batch: int

    def has_room(self) -> bool: ...

    async def room(self) -> None: ...

    def hand_over(self, messages: Sequence[Any]) -> None: ...


class Consumer(faust_aiokafka.Consumer):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._sinks: dict[str, BatchSink] = {}
        self._next: dict[Any, int] = {}  # tp -> next offset to hand over
        self._hole_seeks: dict[Any, tuple[int, int]] = {}  # tp -> (missing offset, seeks)
        self._stuck_since: dict[Any, tuple[int, float]] = {}  # tp -> (committed, first seen)

    def _new_consumer_thread(self) -> Any:
        return ConsumerThread(self, loop=self.loop, beacon=self.beacon)

    # -- positions ---------------------------------------------------------------------------
    async def perform_seek(self) -> None:
        await super().perform_seek()
        self._reset_positions()

    async def seek(self, partition: Any, offset: int) -> None:
        await super().seek(partition, offset)
        self._next[partition] = offset
        self._hole_seeks.pop(partition, None)

    def _reset_positions(self) -> None:
        """After a seek to the committed offsets, expect each partition to restart there."""
        earliest = self.app.conf.consumer_auto_offset_reset == "earliest"
        self._next = {
            tp: off if off is not None else 0
            for tp, off in self._read_offset.items()
            if off is not None or earliest
        }
        self._hole_seeks.clear()

    async def on_partitions_revoked(self, revoked: set[Any]) -> None:
        for tp in revoked:
            self._next.pop(tp, None)
            self._hole_seeks.pop(tp, None)
        await super().on_partitions_revoked(revoked)

    async def unstick(self, stale_s: float) -> list[Any]:
        """Fetch again from the committed offset of partitions whose commit is held back by
        records that were acked *after* it for ``stale_s`` seconds: the records at the commit
        were lost on the way to the stream and would otherwise only come back after a
        restart. Returns the partitions sought back."""
        now = time.monotonic()
        sought = []
        for tp, acked in list(self._acked.items()):
            committed = self._committed_offset.get(tp)
            if not acked or committed is None or min(acked) <= committed + 1:
                self._stuck_since.pop(tp, None)
                continue
            since = self._stuck_since.setdefault(tp, (committed, now))
            if since[0] != committed:
                self._stuck_since[tp] = (committed, now)
            elif now - since[1] >= stale_s:
                log.warning(
                    "%s: offsets %d..%d were never processed although later ones were; "
                    "fetching again from %d",
                    tp,
                    committed,
                    min(acked) - 1,
                    committed,
                )
                await super().seek(tp, committed)
                self._next[tp] = committed
                self._stuck_since.pop(tp, None)
                sought.append(tp)
        return sought

    # -- acks --------------------------------------------------------------------------------
    def ack(self, message: Any) -> bool:
        if self.app.flow_control.is_active():
            return bool(super().ack(message))
        # A rebalance is under way: streams skip (and ack) the events they still hold. Do not
        # commit these offsets; the next assignment fetches them again from the commit.
        message.acked = True
        self._unacked_messages.discard(message)
        return False

    def release(self, messages: Sequence[Any]) -> None:
        """Drop the reference a batch sink held on each message (``stream.pipeline``): an
        offset becomes committable when its message's last reference goes. Messages of
        partitions no longer assigned here are only marked done: their new owner processes
        them again from the committed offset."""
        assigned = self.assignment()
        for message in messages:
            if message.tp in assigned:
                message.ack(self)
            else:
                message.acked = True
                self._unacked_messages.discard(message)

    # -- batch sinks -------------------------------------------------------------------------
    def add_batch_sink(self, topic: str, sink: BatchSink) -> None:
        """Send ``topic``'s records to ``sink`` in batches (see the module docstring)."""
        self._sinks[topic] = sink

    async def _hand_over(self, sink: BatchSink, batch: list[Any]) -> bool:
        """Give ``batch`` (records in offset order per partition, already admitted) to
        ``sink``, waiting for room unless a rebalance starts first. False: not handed over,
        the flow is suspended; its partitions expect the batch's records again."""
        if not self.suspend_flow.is_set() and not sink.has_room():
            results = await self.wait_first(sink.room(), self.suspend_flow.wait())
            if results.stopped:
                self._give_back(batch)
                return False
        if self.suspend_flow.is_set() or not sink.has_room():
            self._give_back(batch)
            return False
        for message in batch:
            message.tracked = True
            self._unacked_messages.add(message)
        sink.hand_over(batch)
        for message in batch:
            self._read_offset[message.tp] = message.offset
        return True

    def _give_back(self, batch: list[Any]) -> None:
        """Expect ``batch``'s records again: each partition's next offset goes back to its
        first record in the batch (unless a seek has set it since)."""
        first: dict[Any, int] = {}
        last: dict[Any, int] = {}
        for message in batch:
            first.setdefault(message.tp, message.offset)
            last[message.tp] = message.offset
        for tp, offset in first.items():
            if self._next.get(tp) == last[tp] + 1:
                self._next[tp] = offset

    # -- fetch loop --------------------------------------------------------------------------
    def _admit(self, tp: Any, offset: int, ordered: bool) -> str:
        """``deliver``, ``duplicate`` (already handed over), ``hole`` (seek back first) or
        ``gap`` (offsets that do not exist: deliver, and let commits pass the gap)."""
        expected = self._next.get(tp)
        if not ordered or expected is None or offset == expected:
            return "deliver"
        if offset < expected:
            return "duplicate"
        missing, seeks = self._hole_seeks.get(tp, (expected, 0))
        if missing == expected and seeks >= _GAP_SEEKS:
            log.warning(
                "%s: offsets %d..%d do not exist; going on at %d", tp, expected, offset - 1, offset
            )
            self._hole_seeks.pop(tp, None)
            return "gap"
        self._hole_seeks[tp] = (expected, seeks + 1 if missing == expected else 1)
        return "hole"

    async def _drain_messages(self, fetcher: Any) -> None:  # pragma: no cover - a long loop
        callback = self.callback
        consumer_should_stop = self._stopped.is_set
        fetcher_should_stop = fetcher._stopped.is_set
        set_read_offset = self._read_offset.__setitem__
        commit_every = self._commit_every
        acks_enabled_for = self.app.topics.acks_enabled_for
        sinks = self._sinks
        since_yield = 0
        try:
            while not (consumer_should_stop() or fetcher_should_stop()):
                self.diag.set_flag(CONSUMER_FETCHING)
                ait = self.getmany(timeout=1.0)
                await self.sleep(0)
                if self.should_stop:
                    continue
                reseek: dict[Any, int] = {}
                batches: dict[str, list[Any]] = {}  # sink topic -> records not handed over yet
                suspended = False
                async for tp, message in ait:
                    since_yield += 1
                    if since_yield > 100:
                        await asyncio.sleep(0)
                        since_yield = 0
                    if tp in reseek:
                        continue  # the rest of this fetch is past the hole too
                    offset = message.offset
                    verdict = self._admit(tp, offset, acks_enabled_for(message.topic))
                    if verdict == "duplicate":
                        continue
                    if verdict == "hole":
                        reseek[tp] = self._next[tp]
                        continue
                    if verdict == "gap":
                        await self._add_gap(tp, self._next[tp], offset - 1)
                    if commit_every is not None and self._n_acked >= commit_every:
                        self._n_acked = 0
                        await self.commit()
                    if self.suspend_flow.is_set():
                        suspended = True
                        break  # a rebalance is starting: not handed over, not read
                    sink = sinks.get(tp.topic)
                    if sink is not None:
                        self._next[tp] = offset + 1
                        batch = batches.setdefault(tp.topic, [])
                        batch.append(message)
                        if len(batch) >= sink.max_batch:
                            del batches[tp.topic]
                            if not await self._hand_over(sink, batch):
                                suspended = True
                                break
                        continue
                    delivery = run_until_blocked(callback(message))
                    if delivery is not None:  # it has to wait (full buffers): race a rebalance
                        results = await self.wait_first(delivery, self.suspend_flow.wait())
                        if results.stopped or delivery not in results.done:
                            suspended = True
                            break  # the flow was suspended first: not handed over, not read
                    set_read_offset(tp, offset)
                    self._next[tp] = offset + 1
                for topic, batch in batches.items():  # the rest of the fetch, in order
                    if suspended:
                        self._give_back(batch)
                    elif not await self._hand_over(sinks[topic], batch):
                        suspended = True
                for tp, offset in reseek.items():
                    log.info("%s: records skipped upstream; fetching again from %d", tp, offset)
                    await super().seek(tp, offset)
                self.diag.unset_flag(CONSUMER_FETCHING)
        except self.consumer_stopped_errors:
            if self.transport.app.should_stop:
                return
            raise
        except asyncio.CancelledError:
            if self.transport.app.should_stop:
                return
            raise
        finally:
            self.diag.unset_flag(CONSUMER_FETCHING)


class ConsumerThread(faust_aiokafka.AIOKafkaConsumerThread):
    def _create_worker_consumer(self, transport: Any) -> Any:
        consumer = super()._create_worker_consumer(transport)
        wait = getattr(self.app, "fetch_max_wait_ms", None)
        if wait is not None:  # faust hard-codes 1500 ms; aiokafka reads this at start()
            consumer._fetch_max_wait_ms = int(wait)
        least = getattr(self.app, "fetch_min_bytes", None)
        if least is not None:  # faust leaves aiokafka's 1 byte
            consumer._fetch_min_bytes = int(least)
        return consumer


class Transport(faust_aiokafka.Transport):
    Consumer = Consumer


class App(faust.App):
    """``faust.App`` whose consumer is the fixed one above.

    ``fetch_max_wait_ms``: how long a worker fetch may wait for data (faust fixes 1500 ms);
    ``fetch_min_bytes``: how much data a fetch waits for (within that time).
    """

    fetch_max_wait_ms: int | None = None
    fetch_min_bytes: int | None = None

    def _new_transport(self) -> Any:
        return Transport(self.conf.broker_consumer, self)
