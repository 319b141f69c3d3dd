"""The httpx sender against a real Alertmanager: delivered while it is up; retried, counted
and never blocking the event loop while it is down."""

from __future__ import annotations

import asyncio
import time

import httpx
from prometheus_client import CollectorRegistry

from exporters.delivery import AlertSender
from exporters.metrics import Metrics

from .monitoring import alertmanager, wait_for


def _am_alerts(url: str) -> list[dict]:
    try:
        return httpx.get(f"{url}/api/v2/alerts", timeout=5).json()
    except httpx.HTTPError:
        return []


def test_real_alertmanager_receives_then_outage_is_retried_and_counted(tmp_path, alert_wire):
    metrics = Metrics.create(CollectorRegistry())
    count = lambda outcome: metrics.deliveries.labels("alertmanager", outcome)._value.get()  # noqa: E731
    am = alertmanager(tmp_path)
    url = am.__enter__()
    sender = AlertSender(metrics, alertmanager_url=url, max_attempts=3, backoff_s=0.2)
    ticks = 0

    async def scenario() -> float:
        nonlocal ticks
        task = asyncio.create_task(sender.run())
        sender.submit(alert_wire)
        while count("ok") < 1:
            await asyncio.sleep(0.05)
        got = wait_for(lambda: [a for a in _am_alerts(url)
                                if a["labels"].get("topic") == "ticker:JPM"], 15)  # fmt: skip
        assert got and got[0]["labels"]["alertname"] == "finsentry_negative_surge"
        assert got[0]["status"]["state"] == "active"
        assert "n1 n2" in got[0]["annotations"]["sample_ids"]

        am.__exit__(None, None, None)  # Alertmanager goes down
        started = time.perf_counter()
        sender.submit({**alert_wire, "alert_id": "second", "topic": "ticker:GS"})
        submit_s = time.perf_counter() - started
        while count("failed") < 1:
            ticks += 1  # the "stream": keeps running while the sender retries
            await asyncio.sleep(0.01)
        task.cancel()
        return submit_s

    try:
        submit_s = asyncio.run(asyncio.wait_for(scenario(), 60))
    finally:
        am.__exit__(None, None, None)
    assert submit_s < 0.01
    assert count("ok") == 1 and count("retried") == 2 and count("failed") == 1
    assert ticks > 20
