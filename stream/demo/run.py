"""``finsentry demo``: embedded broker, a worker, the sample feed, alerts printed as they fire."""

from __future__ import annotations

import asyncio
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson
from rich.console import Console

from stream.demo.sample import sample_feed
from stream.kafka.admin import create_topics
from stream.kafka.broker import EmbeddedBroker, free_port
from stream.kafka.client import make_consumer
from stream.kafka.produce import produce
from stream.pipeline.subjects import Watchlist
from stream.settings import KafkaSettings, Settings
from stream.worker.process import start_worker, stop_worker

__all__ = ["run_demo"]


def _describe(alert: dict[str, Any]) -> str:
    colour = "red" if alert.get("state") == "firing" else "green"
    return (
        f"[{colour}]{alert.get('state', '?').upper():8}[/{colour}] {alert.get('rule')} on "
        f"{alert.get('topic')}: value {alert.get('value', 0):.2f} (fire at "
        f"{alert.get('fire_threshold')}), window {alert.get('window', {}).get('start')}, "
        f"samples {alert.get('sample_ids', [])[:3]}"
    )


async def _print_alerts(
    kafka: KafkaSettings,
    topic: str,
    worker: subprocess.Popen[bytes],
    deadline: float | None,
    console: Console,
) -> bool:
    """Print each alert as it arrives (one consumer for the whole demo) until ``deadline``;
    False if the worker died first."""
    consumer = make_consumer(kafka, topic)
    await consumer.start()
    try:
        while deadline is None or time.monotonic() < deadline:
            if worker.poll() is not None:
                return False
            for messages in (await consumer.getmany(timeout_ms=1000)).values():
                for m in messages:
                    console.print(_describe(orjson.loads(m.value)))
    finally:
        await consumer.stop()
    return True


def run_demo(
    settings: Settings,
    *,
    minutes: int = 45,
    exit_after: float | None = None,
    console: Console | None = None,
) -> int:
    console = console or Console(stderr=True)
    workdir = Path(tempfile.mkdtemp(prefix="finsentry-demo-"))
    metrics_port = settings.metrics.port or free_port()
    with EmbeddedBroker(log_path=workdir / "broker.log") as broker:
        kafka = settings.kafka.model_copy(update={"bootstrap_servers": broker.bootstrap})
        create_topics(kafka)
        worker = start_worker(settings, broker.bootstrap, metrics_port, workdir / "worker.log")
        try:
            feed = sample_feed(minutes=minutes)
            t = kafka.topics
            watchlist = Watchlist.load(settings.alerts.watchlist_file)
            news = [orjson.dumps(r) for r in feed.news] + feed.malformed_news
            n_news = produce(kafka, t.news, news, watchlist)
            n_tx = produce(
                kafka,
                t.transactions,
                [orjson.dumps(r) for r in feed.transactions] + feed.malformed_transactions,
            )
            console.print(
                f"[bold]finsentry demo[/bold]: broker {broker.bootstrap}; sent {n_news} "
                f"news and {n_tx} transactions ({minutes} min of event time, a "
                f"negative-news surge on {feed.surge_ticker}, a risky burst at "
                f"{feed.risky_merchant}, a few malformed records)"
            )
            console.print(f"  metrics:  http://127.0.0.1:{metrics_port}/metrics")
            console.print(
                f"  alerts:   FINSENTRY_KAFKA__BOOTSTRAP_SERVERS={broker.bootstrap} "
                f"finsentry tail {t.alerts}"
            )
            console.print(f"  logs:     {workdir}  — Ctrl-C stops everything")
            deadline = None if exit_after is None else time.monotonic() + exit_after
            if not asyncio.run(_print_alerts(kafka, t.alerts, worker, deadline, console)):
                console.print(
                    f"[red]the worker exited ({worker.returncode}); see "
                    f"{workdir / 'worker.log'}[/red]"
                )
                return 1
        except KeyboardInterrupt:
            console.print("stopping…")
        finally:
            stop_worker(worker)
    return 0
