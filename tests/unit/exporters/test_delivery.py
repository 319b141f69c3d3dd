"""The httpx alert sender against fake transports (the real Alertmanager is in integration)."""

from __future__ import annotations

import asyncio
import logging

import httpx
from prometheus_client import CollectorRegistry

from exporters.delivery import AlertSender, alertmanager_payload, safe_url
from exporters.metrics import Metrics


def _count(metrics: Metrics, receiver: str, outcome: str) -> float:
    return metrics.deliveries.labels(receiver, outcome)._value.get()


def _sender(handler, **kw) -> tuple[AlertSender, Metrics, list[float]]:
    metrics = Metrics.create(CollectorRegistry())
    sleeps: list[float] = []

    async def sleep(s: float) -> None:
        sleeps.append(s)

    sender = AlertSender(metrics, transport=httpx.MockTransport(handler), sleep=sleep, **kw)
    return sender, metrics, sleeps


def test_retries_with_backoff_then_succeeds_and_sends_the_token(alert_wire):
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(503 if len(calls) < 3 else 200)

    sender, metrics, sleeps = _sender(
        handler, webhook_url="https://hooks.example/x", webhook_token="s3cret", max_attempts=5
    )
    sender.submit(alert_wire)
    asyncio.run(sender.drain())
    assert len(calls) == 3 and sleeps == [0.5, 1.0]
    assert calls[-1].headers["authorization"] == "Bearer s3cret"
    assert _count(metrics, "webhook", "retried") == 2
    assert _count(metrics, "webhook", "ok") == 1


def test_gives_up_counts_the_failure_and_never_logs_secrets(caplog, alert_wire):
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    sender, metrics, _ = _sender(
        handler,
        webhook_url="https://user:pw@hooks.example/x?token=abc",
        webhook_token="s3cret",
        max_attempts=3,
    )
    sender.submit(alert_wire)
    with caplog.at_level(logging.DEBUG):
        asyncio.run(sender.drain())
    assert _count(metrics, "webhook", "failed") == 1
    assert _count(metrics, "webhook", "retried") == 2
    text = caplog.text
    assert "gave up" in text and "hooks.example/x" in text
    for secret in ("s3cret", "pw", "token=abc"):
        assert secret not in text


def test_a_full_queue_drops_the_oldest_and_counts_it(alert_wire):
    sender, metrics, _ = _sender(
        lambda r: httpx.Response(200), alertmanager_url="http://am:9093", queue_size=2
    )
    for i in range(5):
        sender.submit({**alert_wire, "alert_id": f"a{i}"})
    assert _count(metrics, "alertmanager", "dropped") == 3
    assert metrics.delivery_queue._value.get() == 2


def test_alertmanager_payload(alert_wire):
    payload = alertmanager_payload(alert_wire, 180)
    assert payload["labels"]["alertname"] == "finsentry_negative_surge"
    assert payload["labels"]["topic"] == "ticker:JPM"
    # event time ahead of the wall clock is clamped: Alertmanager refuses starts after ends
    assert payload["startsAt"] <= payload["endsAt"]
    past = alertmanager_payload({**alert_wire, "at": "2026-01-01T00:00:00+00:00"}, 180)
    assert past["startsAt"] == "2026-01-01T00:00:00+00:00"
    resolved = alertmanager_payload({**alert_wire, "state": "resolved"}, 180)
    assert resolved["endsAt"] < payload["endsAt"]
    assert safe_url("https://u:p@h:8443/a/b?token=x#f") == "https://h:8443/a/b"


def test_durable_delivery_retries_only_the_receiver_that_refused_until_it_accepts(alert_wire):
    import time

    calls: dict[str, int] = {"alertmanager": 0, "webhook": 0}

    def handler(request: httpx.Request) -> httpx.Response:
        receiver = "webhook" if request.url.host == "hooks.example" else "alertmanager"
        calls[receiver] += 1
        return httpx.Response(500 if receiver == "webhook" and calls[receiver] < 8 else 200)

    sender, metrics, sleeps = _sender(
        handler,
        alertmanager_url="http://am.example:9093",
        webhook_url="https://hooks.example/x",
        max_attempts=3,
    )

    async def main() -> bool:
        async with sender.client() as client:
            return await sender.deliver_until_accepted(client, alert_wire, time.time(), 3600)

    assert asyncio.run(main()) is True
    assert calls == {"alertmanager": 1, "webhook": 8}  # no duplicate to the one that accepted
    assert sleeps == [0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 30.0]  # beyond max_attempts: still trying
    assert _count(metrics, "webhook", "failed") == 1  # counted once, at the third failure
    assert _count(metrics, "webhook", "ok") == 1 and _count(metrics, "alertmanager", "ok") == 1


def test_an_alert_older_than_its_maximum_age_is_dropped_and_counted(alert_wire):
    import time

    sender, metrics, _ = _sender(lambda r: httpx.Response(503), webhook_url="https://h.example/")

    async def main() -> bool:
        async with sender.client() as client:
            return await sender.deliver_until_accepted(client, alert_wire, time.time() - 100, 60)

    assert asyncio.run(main()) is False
    assert _count(metrics, "webhook", "expired") == 1
