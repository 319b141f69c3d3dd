"""Replaying the sample feed in accelerated real time: the demo's story unfolds on screen.

Records go to their topics in event-time order, ``speed`` minutes of event time per minute of
wall time (0: all at once, the way ``finsentry produce`` sends a file). With ``loop`` the feed
goes on: each round is a fresh feed whose event time starts where the previous one ended, so
windows and alerts keep working for as long as the demo runs.
"""

from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from stream.demo.sample import SampleFeed, sample_feed
from stream.kafka.client import make_producer, unreachable
from stream.kafka.produce import routing_key
from stream.pipeline.subjects import Entities
from stream.settings import KafkaSettings

__all__ = ["Replay", "ReplayRecord", "feed_records", "replay"]


@dataclass(frozen=True, slots=True)
class ReplayRecord:
    event_time: float  # epoch seconds; malformed records take their neighbours' time
    topic: str
    key: bytes | None
    value: bytes


def feed_records(feed: SampleFeed, kafka: KafkaSettings, entities: Entities) -> list[ReplayRecord]:
    """Every record of ``feed`` (malformed ones early in the story) in event-time order."""
    t = kafka.topics
    out = [
        ReplayRecord(
            datetime.fromisoformat(r["published_at"]).timestamp(),
            t.news,
            routing_key(r, entities),
            orjson.dumps(r),
        )
        for r in feed.news
    ]
    out += [
        ReplayRecord(
            datetime.fromisoformat(r["ts"]).timestamp(),
            t.transactions,
            routing_key(r),
            orjson.dumps(r),
        )
        for r in feed.transactions
    ]
    start = min(r.event_time for r in out) if out else time.time()
    out += [ReplayRecord(start + 60, t.news, None, raw) for raw in feed.malformed_news]
    out += [
        ReplayRecord(start + 60, t.transactions, None, raw) for raw in feed.malformed_transactions
    ]
    return sorted(out, key=lambda r: r.event_time)


@dataclass
class Replay:
    """What the replay has sent so far (read by the demo's status line)."""

    sent: int = 0
    rounds: int = 0
    event_time: float = 0.0
    done: bool = False


async def _send_round(
    producer: Any, records: list[ReplayRecord], speed: float, stop: threading.Event, state: Replay
) -> None:
    """Send one feed's records, each when its event time is due (all at once at speed 0)."""
    started = time.monotonic()
    origin = records[0].event_time if records else 0.0
    pending: list[Any] = []
    for record in records:
        if speed > 0:
            due = started + (record.event_time - origin) / speed
            if due > time.monotonic():
                await asyncio.gather(*pending)
                pending = []
                while (wait := due - time.monotonic()) > 0 and not stop.is_set():
                    await asyncio.sleep(min(wait, 0.5))
        if stop.is_set():
            break
        pending.append(await producer.send(record.topic, record.value, key=record.key))
        state.sent += 1
        state.event_time = record.event_time
    await asyncio.gather(*pending)


def replay(
    kafka: KafkaSettings,
    entities: Entities,
    first: SampleFeed,
    *,
    minutes: int,
    speed: float,
    loop: bool,
    stop: threading.Event,
    state: Replay | None = None,
) -> Replay:
    """Send ``first`` (then, with ``loop``, fresh feeds after it) until done or ``stop``."""
    state = state or Replay()

    async def run() -> None:
        from aiokafka.errors import KafkaError

        producer = make_producer(kafka, linger_ms=5, acks="all")
        try:
            await producer.start()
        except KafkaError as exc:
            raise unreachable(kafka, exc, "replay the sample feed") from exc
        try:
            feed = first
            while not stop.is_set():
                records = feed_records(feed, kafka, entities)
                await _send_round(producer, records, speed, stop, state)
                state.rounds += 1
                if not loop:
                    break
                end = datetime.fromtimestamp(records[-1].event_time, UTC)
                feed = sample_feed(
                    minutes=minutes,
                    seed=7 + state.rounds,
                    end=(end + timedelta(minutes=minutes)).replace(microsecond=0),
                    id_prefix=f"r{state.rounds}-",
                )
        finally:
            await producer.stop()
            state.done = True

    asyncio.run(run())
    return state
