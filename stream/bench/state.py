"""``finsentry bench soak`` / ``bench keys``: what window state costs a worker that runs for long.

Two runs, each against a real worker on the embedded broker:

- **soak** (``bench_soak``): the demo's sample feed (news and transactions, its mix of keys,
  a fresh event-time-shifted feed after each) replayed at ``rate`` records per second for
  ``seconds``, event time running as fast as that rate makes it, so that an hour's retention
  passes within the run and state reaches its steady size (the novelty index's horizon,
  24 hours by default, is set to the windows' retention for the run, or it would still be
  filling at the end: ~3.5 kB per first story, bounded by ``NOVELTY_MAX_STORIES``). The
  worker's (and the broker's) RSS and window key count are sampled throughout; the slope is
  fitted over the second half (Theil–Sen: robust to one step of the allocator). Afterwards
  the window changelog is read whole and its key + value bytes divided by the input records:
  the write amplification of window state.
- **keys** (``bench_keys``): ``accounts`` transactions, each from an account not seen before,
  spread evenly over ``hours`` of event time, sent as one backlog; the worker's RSS once the
  first ``first`` are processed against that once all are: whether state grows with the
  number of keys ever seen or stays bounded by those within retention.
"""

from __future__ import annotations

import asyncio
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from stream.bench.stream import _scored_total, produce_paced
from stream.demo.replay import Replay, replay
from stream.demo.sample import sample_feed
from stream.kafka.admin import create_topics
from stream.kafka.broker import EmbeddedBroker, free_port
from stream.kafka.tail import topic_size_async
from stream.pipeline.subjects import Entities
from stream.settings import Settings
from stream.worker.process import start_worker, stop_worker

__all__ = ["bench_keys", "bench_soak", "rss_mb"]

_FUTURE = {"FINSENTRY_VALIDATION__MAX_FUTURE_SKEW_S": "315360000"}  # event time runs ahead


def rss_mb(pid: int | None) -> float:
    """Resident memory of process ``pid`` in MB (0 without /proc or once it has ended)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


@contextmanager
def _worker(settings: Settings, extra_env: dict[str, str]) -> Iterator[tuple[Any, Any, str, Any]]:
    """(broker, worker process, metrics URL, kafka settings) of a fresh embedded setup."""
    workdir = Path(tempfile.mkdtemp(prefix="finsentry-bench-state-"))
    with EmbeddedBroker(log_path=workdir / "broker.log") as broker:
        kafka = settings.kafka.model_copy(update={"bootstrap_servers": broker.bootstrap})
        create_topics(kafka)
        port = free_port()
        worker = start_worker(settings, broker.bootstrap, port, workdir / "worker.log", extra_env)
        try:
            yield broker, worker, f"http://127.0.0.1:{port}/metrics", kafka
        finally:
            stop_worker(worker)


def _slope_mb_per_min(samples: list[tuple[float, float]]) -> float | None:
    """Theil–Sen slope of (seconds, MB) samples, per minute: the median of the slopes between
    every two samples, so that one step of the allocator (a few MB at once, then flat) moves it
    little while a steady growth shows whole (a least-squares fit over 2.5 minutes read 1.2
    MB/min from a single 3 MB step)."""
    if len(samples) < 3:
        return None
    t, mb = np.array(samples).T
    i, j = np.triu_indices(len(t), k=1)
    dt = t[j] - t[i]
    ok = dt > 0
    return float(np.median((mb[j] - mb[i])[ok] / dt[ok]) * 60)


def _samples(metrics_url: str, name: str) -> dict[tuple[tuple[str, str], ...], float] | None:
    """The worker's samples of metric ``name`` by their labels (None if it cannot be read)."""
    import httpx
    from prometheus_client.parser import text_string_to_metric_families

    try:
        text = httpx.get(metrics_url, timeout=5).text
    except httpx.TransportError:
        return None
    return {
        tuple(sorted(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == name
    }


def _lag(metrics_url: str, role: str) -> float | None:
    """The worker's consumer lag on the topic of ``role``, summed over partitions (None
    until it reports one)."""
    samples = _samples(metrics_url, "finsentry_consumer_lag_records") or {}
    values = [v for labels, v in samples.items() if ("topic", role) in labels]
    return sum(values) if values else None


def _window_keys(metrics_url: str) -> dict[str, float]:
    """``{"hot": n, "packed": n, "packed_bytes": b}`` of the worker's window state."""
    keys = _samples(metrics_url, "finsentry_window_keys") or {}
    out = {dict(labels).get("state", "?"): v for labels, v in keys.items()}
    packed = _samples(metrics_url, "finsentry_window_packed_bytes") or {}
    out["packed_bytes"] = sum(packed.values())
    return out


def _keys_held(metrics_url: str) -> float:
    """Hot and packed window keys together (one scrape)."""
    state = _window_keys(metrics_url)
    return state.get("hot", 0.0) + state.get("packed", 0.0)


def _windows_caught_up(metrics_url: str, timeout_s: float) -> bool:
    """Wait until the windows side has no contributions left to take (lag 0 twice)."""
    deadline, zeros = time.monotonic() + timeout_s, 0
    while time.monotonic() < deadline:
        zeros = zeros + 1 if _lag(metrics_url, "contributions") == 0 else 0
        if zeros >= 2:
            return True
        time.sleep(1.0)
    return False


def _sample_until(
    pids: tuple[int | None, int | None],
    seconds: float,
    every_s: float,
    done: Callable[[], bool],
    keys: Callable[[], float],
) -> list[tuple[float, float, float, float]]:
    """(seconds since start, worker MB, broker MB, window keys) every ``every_s`` until
    ``seconds`` or ``done()``."""
    started = time.monotonic()
    out = []
    while (elapsed := time.monotonic() - started) < seconds and not done():
        out.append((elapsed, rss_mb(pids[0]), rss_mb(pids[1]), keys()))
        time.sleep(every_s)
    return out


def bench_soak(
    settings: Settings, seconds: float = 300.0, rate: float = 100.0, every_s: float = 5.0
) -> dict[str, Any]:
    feed_minutes = 45
    first = sample_feed(minutes=feed_minutes)
    per_event_minute = (
        len(first.news) + len(first.transactions) + len(first.malformed_news)
    ) / feed_minutes
    speed = rate * 60 / per_event_minute  # minutes of event time per wall minute
    stop, sent = threading.Event(), Replay()
    horizon = {"FINSENTRY_ENTITIES__NOVELTY_HORIZON_S": str(settings.windows.retention_s)}
    with _worker(settings, {**_FUTURE, **horizon}) as (broker, worker, metrics_url, kafka):
        asyncio.run(_scored_total(metrics_url, timeout_s=180))  # up and serving
        feeder = threading.Thread(
            target=replay,
            args=(
                kafka,
                Entities.load(settings.entities.universe_file, settings.alerts.watchlist_file),
                first,
            ),
            kwargs={
                "minutes": feed_minutes,
                "speed": speed,
                "loop": True,
                "stop": stop,
                "state": sent,
            },
            daemon=True,
        )
        started_event = time.time()
        feeder.start()
        try:
            samples = _sample_until(
                (worker.pid, broker.pid),
                seconds,
                every_s,
                lambda: sent.done,
                lambda: _keys_held(metrics_url),
            )
        finally:
            stop.set()
            feeder.join(60)
        scored = asyncio.run(_scored_total(metrics_url, sent.sent * 0.99, 120))
        caught_up = _windows_caught_up(metrics_url, 120)
        changelog_topic = f"{kafka.group_id}-windows-changelog"
        changelog = asyncio.run(topic_size_async(kafka, changelog_topic))
        rss_end = rss_mb(worker.pid)
        keys_end = _window_keys(metrics_url)
    event_hours = max(sent.event_time - started_event, 0) / 3600 + feed_minutes / 60
    half = [s for s in samples if s[0] >= seconds / 2]
    changelog_bytes = changelog.key_bytes + changelog.value_bytes
    return {
        "seconds": seconds,
        "rate_target_per_s": rate,
        "records_sent": sent.sent,
        "records_scored": int(scored),
        "windows_caught_up": caught_up,
        "event_time_hours": round(event_hours, 2),
        "novelty_horizon_s": settings.windows.retention_s,
        "changelog_records": changelog.records,
        "changelog_bytes": changelog_bytes,
        "changelog_bytes_per_input_record": round(changelog_bytes / max(sent.sent, 1), 1),
        "changelog_records_per_input_record": round(changelog.records / max(sent.sent, 1), 3),
        "worker_rss_mb_first": round(samples[0][1], 1) if samples else None,
        "worker_rss_mb_half": round(half[0][1], 1) if half else None,
        "worker_rss_mb_end": round(rss_end, 1),
        "worker_rss_slope_mb_per_min_second_half": _round(
            _slope_mb_per_min([(s[0], s[1]) for s in half])
        ),
        "broker_rss_mb_end": round(samples[-1][2], 1) if samples else None,
        "broker_rss_slope_mb_per_min_second_half": _round(
            _slope_mb_per_min([(s[0], s[2]) for s in half])
        ),
        "worker_rss_mb_each_minute": [round(s[1]) for s in _each(samples, 60)],
        "broker_rss_mb_each_minute": [round(s[2]) for s in _each(samples, 60)],
        "window_keys_each_minute": [round(s[3]) for s in _each(samples, 60)],
        "window_keys_half": round(half[0][3]) if half else None,
        "window_keys_max": round(max((s[3] for s in samples), default=0)),
        "window_keys_end": keys_end,
    }


def _each(samples: list[tuple[float, float, float, float]], every_s: float) -> list[Any]:
    """The first sample of each ``every_s`` interval."""
    out, due = [], 0.0
    for sample in samples:
        if sample[0] >= due:
            out.append(sample)
            due += every_s
    return out


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 2)


def _account_txs(n: int, start: datetime, hours: float, prefix: str) -> list[dict[str, Any]]:
    step = hours * 3600 / max(n, 1)
    return [
        {
            "id": f"{prefix}{i}",
            "ts": (start + timedelta(seconds=i * step)).isoformat(),
            "account": f"DE{10**15 + i}",
            "counterparty": "Corner Grocery",
            "amount": "42.50",
            "currency": "EUR",
            "country": "DE",
            "channel": "card",
            "merchant_category": "grocery",
        }
        for i in range(n)
    ]


def bench_keys(
    settings: Settings, accounts: int = 1_000_000, first: int = 10_000, hours: float = 2.0
) -> dict[str, Any]:
    start = datetime.now(UTC) - timedelta(hours=hours)
    records = _account_txs(accounts, start, hours, "k")
    with _worker(settings, _FUTURE) as (broker, worker, metrics_url, kafka):
        topic = kafka.topics.transactions
        asyncio.run(_scored_total(metrics_url, timeout_s=180))
        asyncio.run(produce_paced(kafka, topic, records[:first], None))
        asyncio.run(_scored_total(metrics_url, first, 600))
        _windows_caught_up(metrics_url, 120)
        rss_first = rss_mb(worker.pid)
        began = time.monotonic()
        chunk = 50_000
        for i in range(first, accounts, chunk):
            asyncio.run(produce_paced(kafka, topic, records[i : i + chunk], None))
            asyncio.run(_scored_total(metrics_url, i, 1800))  # keep the backlog bounded
        scored = asyncio.run(_scored_total(metrics_url, accounts, 3600))
        caught_up = _windows_caught_up(metrics_url, 300)
        took = time.monotonic() - began
        rss_all = rss_mb(worker.pid)
        broker_rss = rss_mb(broker.pid)
        keys_end = _window_keys(metrics_url)
    return {
        "accounts": accounts,
        "event_time_hours": hours,
        "retention_s": settings.windows.retention_s,
        "records_scored": int(scored),
        "windows_caught_up": caught_up,
        "seconds": round(took, 1),
        "worker_rss_mb_after_first": round(rss_first, 1),
        "first": first,
        "worker_rss_mb_after_all": round(rss_all, 1),
        "ratio_all_to_first": round(rss_all / rss_first, 3) if rss_first else None,
        "broker_rss_mb_end": round(broker_rss, 1),
        "window_keys_end": keys_end,
    }
