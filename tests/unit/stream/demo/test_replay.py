"""The paced replay: event-time order, ``speed`` minutes per minute, fresh feeds in a loop."""

from __future__ import annotations

import asyncio
import threading
import time

import orjson

from stream.demo.replay import Replay, _send_round, feed_records
from stream.demo.sample import sample_feed
from stream.pipeline.subjects import Entities
from stream.settings import KafkaSettings, Settings

KAFKA = KafkaSettings()
WATCH = Entities.load(None, Settings().alerts.watchlist_file)


class FakeProducer:
    def __init__(self) -> None:
        self.sent: list[tuple[float, str, bytes | None, bytes]] = []

    async def send(self, topic: str, value: bytes, key: bytes | None = None) -> asyncio.Future:
        self.sent.append((time.monotonic(), topic, key, value))
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        done.set_result(None)
        return done


def test_every_record_goes_once_in_event_time_order_keyed_by_subject():
    feed = sample_feed(minutes=5, seed=2)
    records = feed_records(feed, KAFKA, WATCH)
    assert len(records) == len(feed.news) + len(feed.transactions) + 5  # + malformed
    times = [r.event_time for r in records]
    assert times == sorted(times)
    news = [r for r in records if r.topic == KAFKA.topics.news and r.key]
    assert all(orjson.loads(r.value)["id"] for r in news)
    tickers = {t.encode() for t in WATCH.universe.companies}
    # by its company; macro news, about none, by its id
    assert all(r.key in tickers or r.key == orjson.loads(r.value)["id"].encode() for r in news)
    assert sum(r.key in tickers for r in news) > 0.9 * len(news)


def test_the_replay_keeps_pace_with_event_time_and_stops_when_told():
    feed = sample_feed(minutes=2, seed=3)
    records = feed_records(feed, KAFKA, WATCH)
    span = records[-1].event_time - records[0].event_time
    producer, state, stop = FakeProducer(), Replay(), threading.Event()
    speed = span / 1.0  # the whole feed in about a second
    started = time.monotonic()
    asyncio.run(_send_round(producer, records, speed, stop, state))
    took = time.monotonic() - started
    assert 0.8 < took < 3.0 and state.sent == len(records)
    # halfway through the event time, about halfway through the wall time
    middle = records[len(records) // 2]
    sent_at = producer.sent[len(records) // 2][0] - started
    assert abs(sent_at - (middle.event_time - records[0].event_time) / speed) < 0.3

    stop.set()
    again = FakeProducer()
    asyncio.run(_send_round(again, records, speed, stop, Replay()))
    assert again.sent == []


def test_speed_zero_sends_everything_at_once():
    records = feed_records(sample_feed(minutes=3, seed=4), KAFKA, WATCH)
    producer = FakeProducer()
    started = time.monotonic()
    asyncio.run(_send_round(producer, records, 0, threading.Event(), Replay()))
    assert len(producer.sent) == len(records) and time.monotonic() - started < 1.0


def test_a_looping_replay_continues_event_time_where_the_last_feed_ended(monkeypatch):
    from stream.demo import replay as replay_module

    class Producer(FakeProducer):
        async def start(self) -> None: ...

        async def stop(self) -> None: ...

    producer, stop, state = Producer(), threading.Event(), Replay()
    monkeypatch.setattr(replay_module, "make_producer", lambda kafka, **kw: producer)
    original = replay_module._send_round

    async def counted(*args, **kwargs):
        await original(*args, **kwargs)
        if state.rounds >= 1:  # this is the second round: stop after it
            stop.set()

    monkeypatch.setattr(replay_module, "_send_round", counted)
    first = sample_feed(minutes=3, seed=5)
    replay_module.replay(KAFKA, WATCH, first, minutes=3, speed=0, loop=True, stop=stop, state=state)
    assert state.rounds == 2 and state.done
    news = [
        orjson.loads(v)
        for _, topic, _, v in producer.sent
        if topic == KAFKA.topics.news and v.startswith(b'{"id"')  # not the malformed ones
    ]
    stamps = [n["published_at"] for n in news if isinstance(n, dict) and "published_at" in n]
    first_end = max(r["published_at"] for r in first.news)
    second = [s for s in stamps if s > first_end]
    assert second and len(second) >= len(first.news) // 2  # a fresh feed, later in event time
    ids = [n["id"] for n in news if not n["id"].startswith("x")]  # x1, x2: malformed, reused
    assert len(set(ids)) == len(ids) and any(i.startswith("r1-") for i in ids)  # fresh ids
