"""``finsentry demo``: embedded broker, a worker, the sample feed replayed in accelerated real
time; the live dashboard on an interactive terminal, alert lines otherwise."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from rich.console import Console

from stream.demo.prometheus import demo_prometheus
from stream.demo.replay import Replay, replay
from stream.demo.sample import SampleFeed, sample_feed
from stream.kafka.admin import create_topics
from stream.kafka.broker import EmbeddedBroker, free_port
from stream.kafka.client import make_consumer
from stream.pipeline.subjects import Entities
from stream.settings import KafkaSettings, Settings
from stream.worker.process import start_worker, stop_worker

__all__ = ["DemoOptions", "run_demo"]


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


@dataclass(frozen=True, slots=True)
class DemoOptions:
    minutes: int = 45  # event time of one feed
    speed: float = 15.0  # minutes of event time per minute (0: all at once)
    loop: bool = False  # keep feeding fresh, event-time-shifted feeds
    exit_after: float | None = None
    dashboard: bool | None = None  # None: when the terminal is interactive
    prometheus: bool = False


def _worker_env(options: DemoOptions) -> dict[str, str]:
    # an accelerated loop runs event time ahead of the clock: the demo's own worker accepts it
    return {"FINSENTRY_VALIDATION__MAX_FUTURE_SKEW_S": "315360000"} if options.loop else {}


def _story(options: DemoOptions, feed: SampleFeed) -> str:
    pace = (
        "all at once"
        if options.speed <= 0
        else f"at {options.speed:g}x ({options.minutes / options.speed:.1f} min)"
        + (", looping" if options.loop else "")
    )
    return (
        f"{options.minutes} min of event time {pace}: a quiet market, a negative-news surge on "
        f"{feed.surge_ticker}, a risky burst at {feed.risky_merchant}, a few malformed records"
    )


def run_demo(
    settings: Settings, options: DemoOptions | None = None, console: Console | None = None
) -> int:
    """Embedded broker + worker + the sample feed replayed; alerts printed, or the live
    dashboard on an interactive terminal. Ctrl-C (or ``exit_after``) stops everything."""
    options = options or DemoOptions()
    console = console or Console(stderr=True)
    logging.getLogger("aiokafka").setLevel(logging.WARNING)  # the demo's own clients: quiet
    _stop_on_hangup()
    workdir = Path(tempfile.mkdtemp(prefix="finsentry-demo-"))
    metrics_port = settings.metrics.port or free_port()
    metrics_url = f"http://127.0.0.1:{metrics_port}/metrics"
    dashboard = console.is_terminal if options.dashboard is None else options.dashboard
    stop = threading.Event()
    with EmbeddedBroker(log_path=workdir / "broker.log") as broker, contextlib.ExitStack() as stack:
        kafka = settings.kafka.model_copy(update={"bootstrap_servers": broker.bootstrap})
        create_topics(kafka)
        worker = start_worker(
            settings, broker.bootstrap, metrics_port, workdir / "worker.log", _worker_env(options)
        )
        stack.callback(stop_worker, worker)
        prometheus = (
            stack.enter_context(demo_prometheus(workdir, metrics_port, console))
            if options.prometheus
            else None
        )
        try:
            feed = sample_feed(minutes=options.minutes)
            _start_feed(settings, kafka, feed, options, stop)
            _banner(console, options, feed, kafka, metrics_url, prometheus, workdir)
            deadline = None if options.exit_after is None else time.monotonic() + options.exit_after
            if dashboard:
                _watch(worker, deadline, stop, metrics_url, kafka, workdir)
                console.print("stopping…")
            elif not asyncio.run(
                _print_alerts(kafka, kafka.topics.alerts, worker, deadline, console)
            ):
                log = workdir / "worker.log"
                console.print(f"[red]the worker exited ({worker.returncode}); see {log}[/red]")
                return 1
        except KeyboardInterrupt:
            console.print("stopping…")
        finally:
            stop.set()
    return 0


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def _stop_on_hangup() -> None:
    """A closed terminal (SIGHUP) or a ``kill`` (SIGTERM) stops the demo like Ctrl-C does: its
    worker and broker run in sessions of their own and would otherwise be left behind."""
    if threading.current_thread() is threading.main_thread():
        for name in ("SIGHUP", "SIGTERM"):
            if hasattr(signal, name):
                signal.signal(getattr(signal, name), _interrupt)


def _start_feed(
    settings: Settings,
    kafka: KafkaSettings,
    feed: SampleFeed,
    options: DemoOptions,
    stop: threading.Event,
) -> Replay:
    """The replay, in a daemon thread that ends with ``stop``."""
    state = Replay()
    entities = Entities.load(settings.entities.universe_file, settings.alerts.watchlist_file)
    threading.Thread(
        target=replay,
        args=(kafka, entities, feed),
        kwargs={
            "minutes": options.minutes,
            "speed": options.speed,
            "loop": options.loop,
            "stop": stop,
            "state": state,
        },
        name="finsentry-demo-feed",
        daemon=True,
    ).start()
    return state


def _banner(
    console: Console,
    options: DemoOptions,
    feed: SampleFeed,
    kafka: KafkaSettings,
    metrics_url: str,
    prometheus: str | None,
    workdir: Path,
) -> None:
    servers = f"FINSENTRY_KAFKA__BOOTSTRAP_SERVERS={kafka.bootstrap_servers}"
    console.print(f"[bold]finsentry demo[/bold]: {_story(options, feed)}")
    console.print(f"  broker:   {kafka.bootstrap_servers} (embedded, memory storage)")
    console.print(f"  metrics:  {metrics_url}")
    if prometheus:
        console.print(f"  prometheus: {prometheus}/alerts (the repository's rules)")
    console.print(f"  alerts:   {servers} finsentry tail {kafka.topics.alerts}")
    console.print(f"  top:      {servers} finsentry top --metrics-url {metrics_url}")
    console.print(f"  logs:     {workdir}  — Ctrl-C stops everything")


def quiet_logs(path: Path) -> None:
    """Send this process's log lines to ``path`` instead of the terminal."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if isinstance(handler, logging.StreamHandler) and not isinstance(
            handler, logging.FileHandler
        ):
            root.removeHandler(handler)
    handler = logging.FileHandler(path)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)


def _watch(
    worker: subprocess.Popen[bytes],
    deadline: float | None,
    stop: threading.Event,
    metrics_url: str,
    kafka: KafkaSettings,
    workdir: Path,
) -> None:
    """The live dashboard until Ctrl-C, ``deadline`` or the worker's exit."""
    from stream.top.run import run_top

    quiet_logs(workdir / "demo.log")  # log lines would scribble over the dashboard

    def guard() -> None:
        while not stop.wait(0.5):
            if worker.poll() is not None or (deadline is not None and time.monotonic() > deadline):
                stop.set()

    threading.Thread(target=guard, name="finsentry-demo-guard", daemon=True).start()
    run_top(metrics_url, interval_s=1.0, kafka=kafka, alerts_topic=kafka.topics.alerts, stop=stop)
