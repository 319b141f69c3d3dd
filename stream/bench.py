"""``finsentry bench stream``: end-to-end worker throughput against bare ``score_batch``.

In one run, on the same texts: (1) the model alone, batches of ``batch_max``; (2) a backlog
through the embedded broker and a real worker process, timed from the first to the last scored
record; (3) produce->scored latency at half the measured maximum rate.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from stream.broker import EmbeddedBroker, create_topics, free_port
from stream.demo import start_worker, stop_worker
from stream.sample import sample_feed
from stream.settings import KafkaSettings, Settings
from stream.stages.parse import parse_news
from stream.stages.score import news_text
from stream.tail import make_consumer

__all__ = ["bench_stream"]


def _bare_rate(settings: Settings, records: list[dict[str, Any]]) -> float:
    clf = settings.model.load()
    scorer = clf.scorer("news")
    now = time.time()
    items = [
        parse_news(orjson.dumps(r), settings.validation, datetime.fromtimestamp(now, UTC))
        for r in records
    ]
    texts = [news_text(i) for i in items if not hasattr(i, "reason")]
    scorer.score_batch(texts[: settings.batch_max])  # warm-up
    started = time.perf_counter()
    for i in range(0, len(texts), settings.batch_max):
        scorer.score_batch(texts[i : i + settings.batch_max])
    return len(texts) / (time.perf_counter() - started)


async def _timestamps(
    kafka: KafkaSettings, topic: str, want: int, timeout_s: float
) -> dict[str, float]:

    consumer = make_consumer(kafka, topic)
    await consumer.start()
    out: dict[str, float] = {}
    deadline = time.monotonic() + timeout_s
    try:
        while len(out) < want and time.monotonic() < deadline:
            for messages in (await consumer.getmany(timeout_ms=300)).values():
                for m in messages:
                    out.setdefault(orjson.loads(m.value)["id"], m.timestamp / 1000)
    finally:
        await consumer.stop()
    return out


async def _produce_paced(
    kafka: KafkaSettings, topic: str, records: list[dict[str, Any]], rate: float | None
) -> None:
    from aiokafka import AIOKafkaProducer

    from stream.app import client_kwargs

    producer = AIOKafkaProducer(**client_kwargs(kafka), linger_ms=2)
    await producer.start()
    try:
        started = time.monotonic()
        for i, record in enumerate(records):
            if rate:
                delay = started + i / rate - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
            await producer.send(topic, orjson.dumps(record))
        await producer.flush()
    finally:
        await producer.stop()


def bench_stream(settings: Settings, n: int = 3000, latency_s: float = 30.0) -> dict[str, Any]:
    feed = sample_feed(minutes=max(1, n // 20) + 1, news_per_min=20, surge_at=10**6)
    records = feed.news[:n]
    bare_before = _bare_rate(settings, records)
    workdir = Path(tempfile.mkdtemp(prefix="finsentry-bench-"))
    with EmbeddedBroker(log_path=workdir / "broker.log") as broker:
        kafka = settings.kafka.model_copy(update={"bootstrap_servers": broker.bootstrap})
        create_topics(kafka)
        asyncio.run(_produce_paced(kafka, kafka.topics.news, records, None))
        worker = start_worker(settings, broker.bootstrap, free_port(), workdir / "worker.log")
        try:
            scored = asyncio.run(_timestamps(kafka, kafka.topics.scored, len(records), 600))
            stamps = sorted(scored.values())
            # skip the first batch: it includes the model load and the group join
            warm = stamps[settings.batch_max :]
            e2e = (len(warm) - 1) / (warm[-1] - warm[0]) if len(warm) > 1 else 0.0
            # bare again right after (worker idle): the machine's speed drifts, so the ratio
            # uses the mean of the two bare runs that bracket the end-to-end run
            bare_after = _bare_rate(settings, records)
            bare = (bare_before + bare_after) / 2
            rate = e2e / 2
            count = int(rate * latency_s)  # ids stay unique when the feed is replayed
            paced = [{**records[i % len(records)], "id": f"lat-{i}"} for i in range(count)]

            async def latency_run() -> dict[str, float]:
                reader = asyncio.create_task(
                    _timestamps(
                        kafka, kafka.topics.scored, len(records) + len(paced), latency_s + 60
                    )
                )
                await _produce_paced(kafka, kafka.topics.news, paced, rate)
                return await reader

            done = asyncio.run(latency_run())
            inputs = asyncio.run(
                _timestamps(kafka, kafka.topics.news, len(records) + len(paced), 60)
            )
            sent_at = {k: v for k, v in inputs.items() if k.startswith("lat-")}
            lat = np.array([done[k] - sent_at[k] for k in sent_at if k in done]) * 1000
        finally:
            stop_worker(worker)
    return {
        "records": len(records),
        "batch_max": settings.batch_max,
        "model_threads": settings.model.threads,
        "bare_score_batch_per_s": round(bare, 1),
        "bare_before_per_s": round(bare_before, 1),
        "bare_after_per_s": round(bare_after, 1),
        "end_to_end_per_s": round(e2e, 1),
        "ratio": round(e2e / bare, 3) if bare else None,
        "latency_load_per_s": round(rate, 1),
        "latency_samples": len(lat),
        "latency_p50_ms": round(float(np.percentile(lat, 50)), 1) if len(lat) else None,
        "latency_p99_ms": round(float(np.percentile(lat, 99)), 1) if len(lat) else None,
    }
