"""``finsentry bench lifecycle``: what shadow scoring costs, and a model swap under load.

One run, one embedded broker, two real workers side by side (own topics, own groups, the same
registry): ``plain`` follows the registry, ``shadow`` also scores ``shadow_share`` of its
records with a second version. (1) Throughput: ``rounds`` times in turn, the same backlog
goes to each worker, timed from first to last scored record; the ratio is the median over
rounds of shadow / plain, each round's pair back to back (in alternating order) so both see
the same machine drift.
(2) Swap: the plain worker takes a paced load (half its measured rate) while the registry
promotes the other version in the middle; produce->scored latency before the promotion (the
steady state) against the records sent from the promotion until the worker reports the new
version plus five seconds, and the records lost (sent, never scored).
"""

from __future__ import annotations

import asyncio
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from models.registry import Registry, derive_version
from models.serving.runtime import shipped_model_dir
from stream.bench.stream import broker_timestamps, produce_paced, round_trip
from stream.demo.sample import sample_feed
from stream.kafka.admin import create_topics
from stream.kafka.broker import EmbeddedBroker, free_port
from stream.settings import KafkaSettings, Settings, TopicSettings
from stream.worker.process import start_worker, stop_worker

__all__ = ["bench_lifecycle"]


def _serving(metrics_url: str) -> str | None:
    from prometheus_client.parser import text_string_to_metric_families

    text = httpx.get(metrics_url, timeout=5).text
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "finsentry_model_info":
                return sample.labels.get("registry_version")
    return None


def _worker(
    settings: Settings, broker: EmbeddedBroker, name: str, workdir: Path, env: dict[str, str]
) -> tuple[Any, KafkaSettings, str]:
    topics = TopicSettings(**{role: f"{name}.{role}" for role in TopicSettings.ROLES})
    kafka = settings.kafka.model_copy(
        update={"bootstrap_servers": broker.bootstrap, "group_id": name, "topics": topics}
    )
    create_topics(kafka)
    port = free_port()
    worker_env = {f"FINSENTRY_KAFKA__TOPICS__{r.upper()}": t for r, t in topics.by_role().items()}
    proc = start_worker(
        settings.model_copy(update={"kafka": kafka}),
        broker.bootstrap,
        port,
        workdir / f"{name}.log",
        {**worker_env, **env},
    )
    return proc, kafka, f"http://127.0.0.1:{port}/metrics"


def _backlog_rate(kafka: KafkaSettings, url: str, records: list[dict[str, Any]], tag: str) -> float:
    batch = [{**r, "id": f"{tag}-{i}"} for i, r in enumerate(records)]
    _, scored, _ = round_trip(kafka, url, batch, f"{tag}-", None)
    stamps = sorted(scored.values())
    return (len(stamps) - 1) / (stamps[-1] - stamps[0]) if len(stamps) > 1 else 0.0


def bench_lifecycle(
    settings: Settings,
    n: int = 2000,
    rounds: int = 3,
    shadow_share: float = 0.1,
    swap_seconds: float = 40.0,
) -> dict[str, Any]:
    workdir = Path(tempfile.mkdtemp(prefix="finsentry-bench-lifecycle-"))
    source = settings.model.dir or shipped_model_dir()
    registry = Registry(workdir / "registry")
    for version, temperature in (("bench-a", None), ("bench-b", 1.25)):
        derive_version(source, workdir / version, version,
                       {"news": temperature} if temperature else None)  # fmt: skip
        registry.add(workdir / version)
    registry.promote("bench-a")
    records = sample_feed(minutes=n // 20 + 1, news_per_min=20, surge_at=10**6).news[:n]
    common = {"FINSENTRY_MODEL__REGISTRY": str(registry.root), "FINSENTRY_MODEL__WATCH_S": "1"}
    if settings.model.dir is not None:
        common["FINSENTRY_MODEL__DIR"] = ""  # the registry, not a fixed directory
    plain_rates, shadow_rates = [], []
    with EmbeddedBroker(log_path=workdir / "broker.log") as broker:
        plain, plain_kafka, plain_url = _worker(settings, broker, "plain", workdir, common)
        shadow, shadow_kafka, shadow_url = _worker(
            settings, broker, "shadow", workdir,
            {**common, "FINSENTRY_MODEL__SHADOW": "bench-b",
             "FINSENTRY_MODEL__SHADOW_SHARE": str(shadow_share)},
        )  # fmt: skip
        try:
            for kafka, url, tag in ((plain_kafka, plain_url, "wp"), (shadow_kafka, shadow_url,
                                                                    "ws")):  # fmt: skip
                _backlog_rate(kafka, url, records[:200], tag)  # warm-up: load, join, first batches
            for r in range(rounds):  # the order alternates: neither side always goes first
                if r % 2:
                    shadow_rates.append(_backlog_rate(shadow_kafka, shadow_url, records, f"s{r}"))
                plain_rates.append(_backlog_rate(plain_kafka, plain_url, records, f"p{r}"))
                if not r % 2:
                    shadow_rates.append(_backlog_rate(shadow_kafka, shadow_url, records, f"s{r}"))
            swap = _swap_under_load(
                plain_kafka, plain_url, registry, records, float(np.median(plain_rates)) / 2,
                swap_seconds,
            )  # fmt: skip
        finally:
            stop_worker(plain)
            stop_worker(shadow)
    ratios = [s / p for s, p in zip(shadow_rates, plain_rates, strict=True) if p]
    return {
        "records": len(records),
        "rounds": rounds,
        "shadow_share": shadow_share,
        "plain_per_s": [round(x, 1) for x in plain_rates],
        "shadow_per_s": [round(x, 1) for x in shadow_rates],
        "shadow_ratio_per_round": [round(x, 3) for x in ratios],
        "shadow_ratio": round(float(np.median(ratios)), 3) if ratios else None,
        **swap,
    }


def _swap_under_load(
    kafka: KafkaSettings,
    url: str,
    registry: Registry,
    records: list[dict[str, Any]],
    rate: float,
    seconds: float,
) -> dict[str, Any]:
    count = int(rate * seconds)
    paced = [{**records[i % len(records)], "id": f"swap-{i}"} for i in range(count)]
    marks: dict[str, float] = {}

    def promote() -> None:
        time.sleep(seconds / 2)
        marks["promoted"] = time.time()
        registry.promote("bench-b")
        deadline = time.monotonic() + 60
        while _serving(url) != "bench-b" and time.monotonic() < deadline:
            time.sleep(0.2)
        marks["swapped"] = time.time()

    promoter = threading.Thread(target=promote)
    promoter.start()
    asyncio.run(produce_paced(kafka, kafka.topics.news, paced, rate))
    promoter.join()
    sent = asyncio.run(broker_timestamps(kafka, kafka.topics.news, count, 60, "swap-"))
    done = asyncio.run(broker_timestamps(kafka, kafka.topics.scored, count, 120, "swap-"))
    lat = {k: (done[k] - sent[k]) * 1000 for k in sent if k in done}
    start, end = marks.get("promoted", 0.0), marks.get("swapped", 0.0) + 5
    first = min(sent.values(), default=0.0)
    warm = first + min(5.0, (start - first) / 2)  # the start of the paced run is not steady
    steady = [v for k, v in lat.items() if warm <= sent[k] < start]
    during = [v for k, v in lat.items() if start <= sent[k] < end]

    def p99(values: list[float]) -> float | None:
        return round(float(np.percentile(values, 99)), 1) if values else None

    steady_p99, during_p99 = p99(steady), p99(during)
    return {
        "swap_load_per_s": round(rate, 1),
        "swap_records_sent": count,
        "swap_records_lost": count - len(lat),
        "swap_seconds_to_serve": round(end - 5 - start, 2) if marks.get("swapped") else None,
        "swap_steady_p99_ms": steady_p99,
        "swap_during_p99_ms": during_p99,
        "swap_p99_ratio": round(during_p99 / steady_p99, 2) if steady_p99 and during_p99 else None,
    }
