"""Alert delivery with httpx: Alertmanager's v2 API and a generic JSON webhook.

The worker delivers durably: it reads the alerts topic as its outbox (``stream.worker.
alert_outbox``) and calls ``deliver_until_accepted`` for each alert, which retries every
receiver that has not accepted it, with backoff, until it does or the alert is older than the
maximum age; only then is the alert's offset committed, so an outage of any length up to that
age delays alerts but loses none. ``submit()`` / ``run()`` / ``drain()`` are the in-memory path
(a bounded queue, ``max_attempts`` per receiver) for callers without a topic. Firing alerts are
re-pushed to Alertmanager every ``resend_s`` (it resolves alerts it stops hearing about).
Outcomes are counted per receiver (ok, retried, failed, dropped, expired); URLs are logged
without credentials and tokens never appear.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx

from exporters.metrics import Metrics

__all__ = ["AlertSender", "alertmanager_payload", "safe_url"]

log = logging.getLogger(__name__)


def safe_url(url: str) -> str:
    """``scheme://host[:port]/path`` — no user info, query or fragment (they hold secrets)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path}"


def alertmanager_payload(alert: dict[str, Any], resolve_after_s: float) -> dict[str, Any]:
    """One alert wire record (see ``AlertEvent.to_wire``) as an Alertmanager v2 alert."""
    now = datetime.now(UTC)
    at = min(datetime.fromisoformat(alert["at"]), now)  # event time may run ahead of the clock
    firing = alert["state"] == "firing"
    window = alert.get("window", {})
    return {
        "labels": {
            "alertname": f"finsentry_{alert['rule']}",
            "rule": alert["rule"],
            "topic": alert["topic"],
            "severity": alert.get("severity", "warning"),
            "service": "finsentry",
        },
        "annotations": {
            "summary": f"{alert['rule']} on {alert['topic']}: value {alert['value']:.3f} "
            f"(fires at {alert['fire_threshold']}, clears at {alert['clear_threshold']})",
            "window": f"{window.get('start')} .. {window.get('end')} ({window.get('count')} "
            "records)",
            "sample_ids": " ".join(alert.get("sample_ids", [])),
            "alert_id": alert["alert_id"],
        },
        "startsAt": at.isoformat(),
        # while firing, a deadline we keep pushing forward by re-sending; resolved: now
        "endsAt": (now + timedelta(seconds=resolve_after_s) if firing else now).isoformat(),
    }


class AlertSender:
    def __init__(
        self,
        metrics: Metrics,
        *,
        alertmanager_url: str | None = None,
        webhook_url: str | None = None,
        webhook_token: str | None = None,
        timeout_s: float = 5.0,
        max_attempts: int = 5,
        backoff_s: float = 0.5,
        queue_size: int = 1000,
        resend_s: float = 60.0,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Any] = asyncio.sleep,
    ) -> None:
        self.metrics = metrics
        self.receivers: dict[str, str] = {}
        if alertmanager_url:
            self.receivers["alertmanager"] = alertmanager_url.rstrip("/") + "/api/v2/alerts"
        if webhook_url:
            self.receivers["webhook"] = webhook_url
        self._token = webhook_token
        self._timeout = timeout_s
        self._attempts = max_attempts
        self._backoff = backoff_s
        self._resend = resend_s
        self._queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(queue_size)
        self._transport = transport
        self._sleep = sleep
        self._firing: dict[tuple[str, str], dict[str, Any]] = {}
        self._last_resend = time.monotonic()

    @property
    def enabled(self) -> bool:
        return bool(self.receivers)

    def submit(self, alert: dict[str, Any]) -> None:
        """Queue an alert wire record for delivery; returns at once."""
        if not self.enabled:
            return
        self.note(alert)
        while True:
            try:
                self._queue.put_nowait(alert)
                break
            except asyncio.QueueFull:
                dropped = self._queue.get_nowait()
                for receiver in self.receivers:
                    self.metrics.deliveries.labels(receiver, "dropped").inc()
                log.warning("alert queue full: dropped %s", dropped.get("alert_id"))
        self.metrics.delivery_queue.set(self._queue.qsize())

    async def run(self) -> None:
        """Deliver until cancelled (run it as a task on the worker's loop)."""
        if not self.enabled:
            return
        for receiver, url in self.receivers.items():
            log.info("alerts are pushed to %s at %s", receiver, safe_url(url))
        async with httpx.AsyncClient(timeout=self._timeout, transport=self._transport) as client:
            while True:
                try:
                    alert = await asyncio.wait_for(self._queue.get(), timeout=1.0)
                except TimeoutError:
                    await self.resend_firing(client)
                    continue
                self.metrics.delivery_queue.set(self._queue.qsize())
                for receiver in self.receivers:
                    await self._deliver(client, receiver, alert)
                await self.resend_firing(client)

    async def drain(self, client: httpx.AsyncClient | None = None) -> None:
        """Deliver everything queued now (tests, shutdown)."""
        async with httpx.AsyncClient(timeout=self._timeout, transport=self._transport) as own:
            while not self._queue.empty():
                alert = self._queue.get_nowait()
                for receiver in self.receivers:
                    await self._deliver(client or own, receiver, alert)
            self.metrics.delivery_queue.set(0)

    async def resend_firing(self, client: httpx.AsyncClient) -> None:
        """Re-push the firing alerts to Alertmanager every ``resend_s`` (it resolves alerts
        it stops hearing about)."""
        if "alertmanager" not in self.receivers or time.monotonic() - self._last_resend < (
            self._resend
        ):
            return
        self._last_resend = time.monotonic()
        for alert in list(self._firing.values()):
            await self._deliver(client, "alertmanager", alert)

    def _request(self, receiver: str, alert: dict[str, Any]) -> tuple[Any, dict[str, str]]:
        if receiver == "alertmanager":
            return [alertmanager_payload(alert, 3 * self._resend)], {}
        headers = {"Authorization": f"Bearer {self._token}"} if self._token else {}
        return alert, headers

    def note(self, alert: dict[str, Any]) -> None:
        """Keep firing alerts for Alertmanager's periodic re-send (resolved ones drop out)."""
        key = (alert["rule"], alert["topic"])
        if alert["state"] == "firing":
            self._firing[key] = alert
        else:
            self._firing.pop(key, None)

    async def deliver_until_accepted(
        self,
        client: httpx.AsyncClient,
        alert: dict[str, Any],
        produced_at: float,
        max_age_s: float,
    ) -> bool:
        """Push ``alert`` to every receiver, retrying each one that has not accepted it with
        backoff (to 30 s) until it does — or until the alert is older than ``max_age_s``
        (counted ``expired``; False). After ``max_attempts`` failures in a row the receiver is
        counted ``failed`` once and logged; the retries go on."""
        pending = list(self.receivers)
        delay, attempts = self._backoff, 0
        while pending:
            for receiver in list(pending):
                ok, why = await self._attempt(client, receiver, alert)
                if ok:
                    self.metrics.deliveries.labels(receiver, "ok").inc()
                    pending.remove(receiver)
                elif attempts == 0:
                    log.warning(
                        "pushing alert %s to %s (%s) failed: %s; retrying with backoff",
                        alert.get("alert_id"),
                        receiver,
                        safe_url(self.receivers[receiver]),
                        why,
                    )
            if not pending:
                return True
            attempts += 1
            for receiver in pending:
                self.metrics.deliveries.labels(receiver, "retried").inc()
                if attempts == self._attempts:
                    self.metrics.deliveries.labels(receiver, "failed").inc()
                    log.error(
                        "pushing alert %s to %s (%s) failed %d times; retrying until it is "
                        "accepted or older than %.0f s: check that the receiver is up",
                        alert.get("alert_id"),
                        receiver,
                        safe_url(self.receivers[receiver]),
                        attempts,
                        max_age_s,
                    )
            if time.time() - produced_at + delay > max_age_s:
                for receiver in pending:
                    self.metrics.deliveries.labels(receiver, "expired").inc()
                log.error(
                    "alert %s was not accepted by %s within its maximum age (%.0f s): dropped",
                    alert.get("alert_id"),
                    ", ".join(pending),
                    max_age_s,
                )
                return False
            await self._sleep(delay)
            delay = min(delay * 2, 30.0)
        return True

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(timeout=self._timeout, transport=self._transport)

    async def _attempt(
        self, client: httpx.AsyncClient, receiver: str, alert: dict[str, Any]
    ) -> tuple[bool, str]:
        """One push; (accepted, why not)."""
        url = self.receivers[receiver]
        body, headers = self._request(receiver, alert)
        started = time.perf_counter()
        try:
            response = await client.post(url, json=body, headers=headers)
            ok, why = response.status_code < 300, f"HTTP {response.status_code}"
        except httpx.HTTPError as exc:
            ok, why = False, type(exc).__name__
        self.metrics.delivery_seconds.labels(receiver).observe(time.perf_counter() - started)
        return ok, why

    async def _deliver(
        self, client: httpx.AsyncClient, receiver: str, alert: dict[str, Any]
    ) -> bool:
        url = self.receivers[receiver]
        delay = self._backoff
        for attempt in range(1, self._attempts + 1):
            ok, why = await self._attempt(client, receiver, alert)
            if ok:
                self.metrics.deliveries.labels(receiver, "ok").inc()
                return True
            if attempt < self._attempts:
                self.metrics.deliveries.labels(receiver, "retried").inc()
                log.warning(
                    "pushing alert %s to %s (%s) failed: %s; retry %d/%d in %.1f s",
                    alert.get("alert_id"),
                    receiver,
                    safe_url(url),
                    why,
                    attempt,
                    self._attempts - 1,
                    delay,
                )
                await self._sleep(delay)
                delay = min(delay * 2, 30.0)
        self.metrics.deliveries.labels(receiver, "failed").inc()
        log.error(
            "gave up pushing alert %s to %s (%s) after %d attempts: %s; it stays on the alerts "
            "topic; check that the receiver is up",
            alert.get("alert_id"),
            receiver,
            safe_url(url),
            self._attempts,
            why,
        )
        return False
