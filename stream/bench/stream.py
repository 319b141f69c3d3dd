"""``finsentry bench stream``: end-to-end worker throughput against bare ``score_batch``.

In one run, on the same texts: a real worker process on the embedded broker is warmed up, then
``rounds`` times in turn (1) the model alone scores the texts in batches of ``batch_max``, on
the worker's inference arrangement (``inference_workers`` threads sharing ``model.threads``), and
(2) the same records go through the broker and the worker as a backlog, timed from the first
to the last scored record; (1) runs once more after the last round. Each round's ratio divides
by the mean of the bare runs just before and just after it, and the ratio reported is the
median of the rounds': this machine's speed drifts by tens of percent within a minute, and
turns expose both sides to the same drift. Last, produce->scored latency at half the measured
end-to-end rate (or at ``latency_rate``), with the mean input batch and the CPU per record
(worker and broker) at that load.

Where ``/proc`` exists, each end-to-end round also reports the CPU time spent per record by the
worker's event loop (its main thread), by its other threads (inference, the consumer's fetch
thread, HTTP) and by the broker, from first record sent to last record scored; ``overhead`` is
their sum less the bare run's CPU per text: what the stream costs beyond the model.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from stream.demo.sample import sample_feed
from stream.kafka.admin import create_topics
from stream.kafka.broker import EmbeddedBroker, free_port
from stream.kafka.client import make_consumer, make_producer
from stream.pipeline.kinds import news_text
from stream.pipeline.parse import parse_news
from stream.settings import KafkaSettings, Settings
from stream.worker.process import start_worker, stop_worker

__all__ = ["bench_stream", "broker_timestamps", "produce_paced", "round_trip"]


def _texts(settings: Settings, records: list[dict[str, Any]]) -> list[str]:
    now = datetime.fromtimestamp(time.time(), UTC)
    items = [parse_news(orjson.dumps(r), settings.validation, now) for r in records]
    return [news_text(i) for i in items if not hasattr(i, "reason")]


def _bare_rate(scorer: Any, texts: list[str], batch: int, workers: int) -> tuple[float, float]:
    """``score_batch`` alone, on ``workers`` threads at once like the worker's executor:
    (texts per second, CPU microseconds per text)."""
    batches = [texts[i : i + batch] for i in range(0, len(texts), batch)]
    started, cpu = time.perf_counter(), time.process_time()
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(scorer.score_batch, batches))
    cpu_us = (time.process_time() - cpu) * 1e6 / len(texts)
    return len(texts) / (time.perf_counter() - started), cpu_us


async def broker_timestamps(
    kafka: KafkaSettings, topic: str, want: int, timeout_s: float, prefix: str = ""
) -> dict[str, float]:
    """Broker timestamps of the first ``want`` distinct ids starting with ``prefix``."""
    consumer = make_consumer(kafka, topic)
    await consumer.start()
    out: dict[str, float] = {}
    deadline = time.monotonic() + timeout_s
    try:
        while len(out) < want and time.monotonic() < deadline:
            for messages in (await consumer.getmany(timeout_ms=300)).values():
                for m in messages:
                    rid = orjson.loads(m.value)["id"]
                    if rid.startswith(prefix):
                        out.setdefault(rid, m.timestamp / 1000)
    finally:
        await consumer.stop()
    return out


async def produce_paced(
    kafka: KafkaSettings, topic: str, records: list[dict[str, Any]], rate: float | None
) -> None:
    """Send ``records`` at ``rate`` per second, or (None) as a backlog: serialized up front
    and sent as whole record batches, spread over the partitions, so that the load generator
    takes as little as possible of the CPU the worker is measured on."""
    producer = make_producer(kafka, linger_ms=2)
    await producer.start()
    try:
        if rate is None:
            payloads = [orjson.dumps(r) for r in records]
            partitions = sorted(await producer.partitions_for(topic))
            sent, turn = 0, 0
            while sent < len(payloads):
                batch = producer.create_batch()
                while sent < len(payloads) and batch.append(
                    timestamp=None, key=None, value=payloads[sent]
                ):
                    sent += 1
                partition = partitions[turn % len(partitions)]
                await producer.send_batch(batch, topic, partition=partition)
                turn += 1
        else:
            started = time.monotonic()
            for i, record in enumerate(records):
                delay = started + i / rate - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
                await producer.send(topic, orjson.dumps(record))
        await producer.flush()
    finally:
        await producer.stop()


def _sample_sum(text: str, name: str) -> float:
    """The sum of a metric's samples called ``name`` over all labels, in exposition ``text``."""
    from prometheus_client.parser import text_string_to_metric_families

    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == name
    )


def _batch_totals(metrics_url: str) -> tuple[float, float]:
    """(texts, inference calls) so far, from the worker's batch-size histogram."""
    import httpx

    text = httpx.get(metrics_url, timeout=5).text
    return (
        _sample_sum(text, "finsentry_inference_batch_size_sum"),
        _sample_sum(text, "finsentry_inference_batch_size_count"),
    )


async def _scored_total(metrics_url: str, at_least: float = 0, timeout_s: float = 0) -> float:
    """The worker's ``records_scored_total`` (from its /metrics, as Prometheus would read it),
    polled until it reaches ``at_least`` or ``timeout_s`` passed."""
    import httpx

    deadline = time.monotonic() + timeout_s
    async with httpx.AsyncClient(timeout=5) as client:
        while True:
            try:
                text = (await client.get(metrics_url)).text
            except httpx.TransportError:  # the worker is still starting
                if time.monotonic() >= deadline:
                    raise
                await asyncio.sleep(1.0)
                continue
            total = _sample_sum(text, "finsentry_records_scored_total")
            if total >= at_least or time.monotonic() >= deadline:
                return total
            await asyncio.sleep(1.0)


def _cpu_seconds(pid: int | None) -> tuple[float, float]:
    """(main thread, all other threads) CPU seconds of process ``pid``; zeros without /proc."""
    main = other = 0.0
    tasks = Path(f"/proc/{pid}/task")
    if pid is None or not tasks.is_dir():
        return main, other
    tick = os.sysconf("SC_CLK_TCK")
    for task in tasks.iterdir():
        try:
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # the thread ended meanwhile
            continue
        seconds = (int(fields[11]) + int(fields[12])) / tick  # utime + stime
        if task.name == str(pid):
            main += seconds
        else:
            other += seconds
    return main, other


def _cpu_snapshot(worker_pid: int | None, broker_pid: int | None) -> tuple[float, float, float]:
    """CPU seconds so far: the worker's event loop, its other threads, the broker."""
    return (*_cpu_seconds(worker_pid), sum(_cpu_seconds(broker_pid)))


def round_trip(
    kafka: KafkaSettings,
    metrics_url: str,
    records: list[dict[str, Any]],
    prefix: str,
    latency_s: float | None,
    pids: tuple[int | None, int | None] = (None, None),
) -> tuple[dict[str, float], dict[str, float], list[float]]:
    """Produce ``records`` (as a backlog, or paced at ``len/latency_s`` per second) and return
    the broker timestamps of each id in the input and the scored topic, and the CPU spent per
    record (microseconds) from the first send to the last record scored by the worker's event
    loop, its other threads and the broker (``pids``: worker, broker).

    While the worker runs, the bench only watches its scored counter; it reads the scored
    records (and their broker timestamps) afterwards, so that its own consuming does not
    compete with the worker for the CPU being measured.
    """

    async def run() -> tuple[dict[str, float], dict[str, float], list[float]]:
        before = await _scored_total(metrics_url, timeout_s=120)
        rate = len(records) / latency_s if latency_s else None
        start = _cpu_snapshot(*pids)
        await produce_paced(kafka, kafka.topics.news, records, rate)
        await _scored_total(metrics_url, before + len(records), 600)
        end = _cpu_snapshot(*pids)
        cpu = [(b - a) * 1e6 / max(len(records), 1) for a, b in zip(start, end, strict=True)]
        scored = await broker_timestamps(kafka, kafka.topics.scored, len(records), 60, prefix)
        sent = await broker_timestamps(kafka, kafka.topics.news, len(records), 60, prefix)
        return sent, scored, cpu

    return asyncio.run(run())


def bench_stream(
    settings: Settings,
    n: int = 3000,
    latency_s: float = 30.0,
    rounds: int = 3,
    latency_rate: float | None = None,
) -> dict[str, Any]:
    feed = sample_feed(minutes=max(1, n // 20) + 1, news_per_min=20, surge_at=10**6)
    records = feed.news[:n]
    # bare: the worker's inference arrangement without Kafka (same sessions, same workers)
    model = settings.inference_model()
    scorer = model.load().scorer("news")
    # and the plain caller's way: one score_batch at a time with all of model.threads
    single = settings.model.load().scorer("news")
    texts = _texts(settings, records)
    scorer.score_batch(texts[: settings.batch_max])  # warm-up
    single.score_batch(texts[: settings.batch_max])
    workdir = Path(tempfile.mkdtemp(prefix="finsentry-bench-"))
    workers = settings.inference_workers
    bare: list[tuple[float, float]] = []  # (rate, CPU us per text), before each round and after
    bare_single: list[float] = []
    e2e: list[float] = []
    cpu: list[list[float]] = []  # per round: event loop, other worker threads, broker (us/rec)
    with EmbeddedBroker(log_path=workdir / "broker.log") as broker:
        kafka = settings.kafka.model_copy(update={"bootstrap_servers": broker.bootstrap})
        create_topics(kafka)
        port = free_port()
        metrics_url = f"http://127.0.0.1:{port}/metrics"
        worker = start_worker(settings, broker.bootstrap, port, workdir / "worker.log")
        pids = (worker.pid, broker.pid)
        try:
            # warm-up: model load, group join, first batches
            warm = [{**r, "id": f"warm-{i}"} for i, r in enumerate(records[:200])]
            round_trip(kafka, metrics_url, warm, "warm-", None)
            for r in range(rounds):
                bare_single.append(_bare_rate(single, texts, settings.batch_max, 1)[0])
                bare.append(_bare_rate(scorer, texts, settings.batch_max, workers))
                batch = [{**rec, "id": f"r{r}-{i}"} for i, rec in enumerate(records)]
                _, scored, used = round_trip(kafka, metrics_url, batch, f"r{r}-", None, pids)
                cpu.append(used)
                stamps = sorted(scored.values())
                e2e.append((len(stamps) - 1) / (stamps[-1] - stamps[0]) if len(stamps) > 1 else 0)
            bare.append(_bare_rate(scorer, texts, settings.batch_max, workers))
            rate = latency_rate or float(np.median(e2e)) / 2
            count = int(rate * latency_s)  # ids stay unique when the feed is replayed
            paced = [{**records[i % len(records)], "id": f"lat-{i}"} for i in range(count)]
            texts_before, calls_before = _batch_totals(metrics_url)
            sent, done, used = round_trip(kafka, metrics_url, paced, "lat-", latency_s, pids)
            texts_after, calls_after = _batch_totals(metrics_url)
            paced_cpu_us = sum(used)
            paced_batch = (texts_after - texts_before) / max(calls_after - calls_before, 1)
            lat = np.array([done[k] - sent[k] for k in sent if k in done]) * 1000
        finally:
            stop_worker(worker)
    # each round against the mean of the bare runs just before and just after it
    around = [(bare[r][0] + bare[r + 1][0]) / 2 for r in range(len(e2e))]
    bare_cpu = [(bare[r][1] + bare[r + 1][1]) / 2 for r in range(len(e2e))]
    ratios = [a / b for a, b in zip(e2e, around, strict=True) if b]
    singles = [a / b for a, b in zip(e2e, bare_single, strict=True) if b]
    return {
        "records": len(records),
        "rounds": rounds,
        "batch_max": settings.batch_max,
        "batches_in_flight": settings.batches_in_flight,
        "model_threads": settings.model.threads,
        "inference_workers": settings.inference_workers,
        "threads_per_inference_worker": model.threads,
        "bare_score_batch_per_s": [round(b[0], 1) for b in bare],
        "end_to_end_per_s": [round(e, 1) for e in e2e],
        "ratio_per_round": [round(x, 3) for x in ratios],
        "ratio": round(float(np.median(ratios)), 3) if ratios else None,
        "bare_single_call_per_s": [round(b, 1) for b in bare_single],
        "ratio_vs_single_call": round(float(np.median(singles)), 3) if singles else None,
        "worker_event_loop_cpu_us_per_record": [round(c[0], 1) for c in cpu],
        "worker_other_threads_cpu_us_per_record": [round(c[1], 1) for c in cpu],
        "broker_cpu_us_per_record": [round(c[2], 1) for c in cpu],
        "bare_cpu_us_per_record": [round(b[1], 1) for b in bare],
        "overhead_cpu_us_per_record": [
            round(sum(c) - b, 1) for c, b in zip(cpu, bare_cpu, strict=True)
        ],
        "latency_load_per_s": round(rate, 1),
        "latency_mean_batch": round(paced_batch, 1),
        "latency_cpu_us_per_record": round(paced_cpu_us, 1),
        "latency_samples": len(lat),
        "latency_lost": count - len(lat),
        "latency_p50_ms": round(float(np.percentile(lat, 50)), 1) if len(lat) else None,
        "latency_p99_ms": round(float(np.percentile(lat, 99)), 1) if len(lat) else None,
    }
