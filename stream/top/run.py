"""The dashboard loop: read /metrics every ``interval_s``, draw, and say so when the worker is
down (then keep trying). ``--once`` prints one frame and exits 0 either way."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from typing import Any

import httpx
from rich.console import Console, RenderableType
from rich.live import Live
from rich.text import Text

from stream.settings import KafkaSettings
from stream.top.keys import Keys, apply_key
from stream.top.scrape import fetch
from stream.top.view import Alert, History, ViewOptions, render

__all__ = ["follow_alerts", "frame", "note_alert", "run_top"]

log = logging.getLogger(__name__)


def frame(url: str, history: History, options: ViewOptions) -> RenderableType:
    """The next frame: the dashboard, or a line saying the worker does not answer."""
    try:
        snap = fetch(url)
    except httpx.HTTPError as exc:
        return Text.assemble(
            ("finsentry top: ", "bold"),
            (f"the worker at {url} is not answering ({type(exc).__name__})", "bold red"),
            "; is it running? retrying…",
        )
    history.update(snap)
    return render(snap, history, options, url)


def note_alert(history: History, alert: Any) -> None:
    """Keep the value and event time of each firing alert (an alerts-topic record)."""
    if isinstance(alert, dict) and "rule" in alert:
        key = (str(alert["rule"]), str(alert.get("topic")))
        if alert.get("state") == "firing":
            history.alerts[key] = Alert(float(alert.get("value") or 0), str(alert.get("at")))
        else:
            history.alerts.pop(key, None)


def follow_alerts(
    kafka: KafkaSettings, topic: str, history: History, stop: threading.Event
) -> None:
    """Keep ``history.alerts`` in step with the alerts topic; runs in a daemon thread and
    quietly does nothing while Kafka is not there (the metrics still show the alerts)."""
    from stream.kafka.tail import read_topic_async

    def on_record(alert: Any) -> None:
        note_alert(history, alert)

    async def follow() -> None:
        while not stop.is_set():
            with contextlib.suppress(Exception):  # no broker: the metrics still show alerts
                await read_topic_async(
                    kafka,
                    topic,
                    timeout_s=3600,
                    on_record=on_record,
                    until=lambda _: stop.is_set(),
                )
            await asyncio.sleep(2)

    asyncio.run(follow())


def _read_alerts_once(kafka: KafkaSettings, topic: str, history: History) -> None:
    """``--once``: the alerts topic up to now (briefly; nothing when Kafka is not there)."""
    from stream.kafka.tail import read_topic

    try:
        alerts = read_topic(kafka, topic, timeout_s=8, idle_s=1.5)
    except Exception as exc:  # noqa: BLE001 - the metrics alone still make a frame
        log.debug("alerts topic not read: %s", exc)
        return
    for alert in alerts:
        note_alert(history, alert)


def run_top(
    url: str,
    *,
    interval_s: float = 2.0,
    once: bool = False,
    options: ViewOptions | None = None,
    console: Console | None = None,
    kafka: KafkaSettings | None = None,
    alerts_topic: str | None = None,
    stop: threading.Event | None = None,
) -> int:
    """Run until Ctrl-C (or ``stop``); ``once``: print one frame. Returns the exit code (0)."""
    console = console or Console()
    options = options or ViewOptions(height=console.size.height)
    history = History()
    stop = stop or threading.Event()
    if kafka is not None and alerts_topic:
        logging.getLogger("aiokafka").setLevel(logging.WARNING)  # its INFO lines would show
        threading.Thread(
            target=follow_alerts,
            args=(kafka, alerts_topic, history, stop),
            name="finsentry-top-alerts",
            daemon=True,
        ).start()
    next_at = time.monotonic() + interval_s
    try:
        if once:
            if kafka is not None and alerts_topic:
                _read_alerts_once(kafka, alerts_topic, history)
            console.print(frame(url, history, options))
            return 0
        with (
            Keys() as keys,
            Live(frame(url, history, options), console=console, screen=True) as live,
        ):
            while not stop.wait(interval_s if not keys.active else min(interval_s, 0.2)):
                typed = keys.pending()
                if "q" in typed:
                    break
                for key in typed:
                    options = apply_key(options, key)
                if typed or time.monotonic() >= next_at:
                    live.update(frame(url, history, options))
                    next_at = time.monotonic() + interval_s
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
    return 0
