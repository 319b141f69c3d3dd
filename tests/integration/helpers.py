"""Building feeds and reading results for the integration tests."""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from typing import Any

import httpx
import orjson

from stream.kafka.client import make_consumer
from stream.kafka.produce import produce
from stream.kafka.tail import read_topic
from stream.pipeline.subjects import Entities
from stream.pipeline.window_log import restore
from stream.pipeline.windows import KeyState


def scored_ids(kafka, expected: set[str], timeout_s: float = 120.0) -> list[dict[str, Any]]:
    """Scored records until every expected id is there (or timeout)."""
    return read_topic(
        kafka,
        kafka.topics.scored,
        timeout_s=timeout_s,
        until=lambda rs: expected <= {r["id"] for r in rs},
    )


def window_states(kafka) -> dict[str, KeyState]:
    """The latest persisted state of every topic key, read back from the changelog topic the
    way a restarting worker rebuilds it."""
    records = read_topic_raw(kafka, f"{kafka.group_id}-windows-changelog")
    return restore({k.encode(): orjson.dumps(v) for k, v in records.items()}).states


def read_topic_raw(kafka, topic: str, timeout_s: float = 8.0) -> dict[str, Any]:
    import asyncio

    import orjson

    async def run() -> dict[str, Any]:
        consumer = make_consumer(kafka, topic)
        await consumer.start()
        latest: dict[str, Any] = {}
        try:
            idle = 0
            while idle < 6:
                batch = await consumer.getmany(timeout_ms=300)
                idle = 0 if batch else idle + 1
                for messages in batch.values():
                    for m in messages:
                        if m.value is None:  # a tombstone: the key was evicted
                            latest.pop(m.key.decode(), None)
                        else:
                            latest[m.key.decode()] = orjson.loads(m.value)
        finally:
            await consumer.stop()
        return latest

    return asyncio.run(asyncio.wait_for(run(), timeout_s + 30))


def reference_pane_counts(scored: list[dict[str, Any]], pane_s: int) -> dict[str, Counter]:
    """Per topic key: records per pane start, computed naively from unique scored records."""
    from datetime import datetime

    unique = {r["id"]: r for r in scored}
    out: dict[str, Counter] = defaultdict(Counter)
    for r in unique.values():
        ts = datetime.fromisoformat(r["ts"]).timestamp()
        for key in r["topics"]:
            out[key][int(ts // pane_s) * pane_s] += 1
    return out


def metric(port: int, name: str, labels: dict[str, str] | None = None) -> float:
    from prometheus_client.parser import text_string_to_metric_families

    text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    total = 0.0
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(
                sample.labels.get(k) == v for k, v in (labels or {}).items()
            ):
                total += sample.value
    return total


def send_feed(cluster, feed, malformed=True):
    """The sample feed's news (keyed as ``finsentry produce`` would) and transactions."""
    t = cluster.kafka.topics
    watchlist = Entities.load(None, cluster.settings.alerts.watchlist_file)
    news = [orjson.dumps(r) for r in feed.news] + (feed.malformed_news if malformed else [])
    produce(cluster.kafka, t.news, news, watchlist)
    produce(
        cluster.kafka,
        t.transactions,
        [orjson.dumps(r) for r in feed.transactions]
        + (feed.malformed_transactions if malformed else []),
    )


def assert_windows_match(cluster, scored, pane_s=60):
    """The persisted windows count each scored record exactly once (polled for up to 60 s)."""
    reference = reference_pane_counts(scored, pane_s)
    deadline = time.monotonic() + 60
    while True:
        states = window_states(cluster.kafka)
        got = {
            key: Counter({start: p.count for start, p in s.panes.items()})
            for key, s in states.items()
        }
        if got == reference or time.monotonic() > deadline:
            break
        time.sleep(2)
    assert set(got) == set(reference)
    for key, counts in reference.items():
        assert got[key] == counts, key
