"""The alerts topic as the outbox of alert delivery.

The windows handler publishes each alert transition to the alerts topic (acknowledged before
its input offsets commit). This reader consumes that topic in its own consumer group
(``<group_id>-delivery``: with several workers each alert is pushed by one of them), pushes
each alert with ``AlertSender.deliver_until_accepted`` and commits the alert's offset only once
every receiver accepted it (or the alert outlived ``delivery.max_age_s``). A receiver that is
down for minutes or hours delays alerts and loses none; a worker that dies mid-push pushes that
one alert again after a restart (receivers de-duplicate by ``alert_id``), never a storm of
everything delivered before.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import orjson

from exporters.delivery import AlertSender
from stream.kafka.client import make_consumer
from stream.settings import Settings

__all__ = ["AlertOutbox"]

log = logging.getLogger(__name__)


class AlertOutbox:
    def __init__(self, settings: Settings, sender: AlertSender) -> None:
        self._kafka = settings.kafka
        self._topic = settings.kafka.topics.alerts
        self._group = f"{settings.kafka.group_id}-delivery"
        self._max_age_s = settings.delivery.max_age_s
        self._sender = sender

    async def run(self) -> None:
        """Deliver until cancelled; a broker that is away is retried (the alerts wait)."""
        if not self._sender.enabled:
            return
        delay = 1.0
        while True:
            consumer = make_consumer(
                self._kafka,
                self._topic,
                group_id=self._group,
                session_timeout_ms=int(self._kafka.session_timeout_s * 1000),
                heartbeat_interval_ms=int(self._kafka.heartbeat_interval_s * 1000),
                # an outage keeps one alert in its retries for as long as it lasts: the group
                # must not take the partition away meanwhile (the alert would be pushed twice)
                max_poll_interval_ms=int((self._max_age_s + 600) * 1000),
            )
            try:
                await consumer.start()
                delay = 1.0
                await self._deliver(consumer)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - the broker went away: start again
                log.warning("alert delivery paused (%s: %s); again in %.0f s",
                            type(exc).__name__, exc, delay)  # fmt: skip
                await asyncio.sleep(delay)
                delay = min(delay * 2, 30.0)
            finally:
                await consumer.stop()

    async def _deliver(self, consumer: Any) -> None:
        async with self._sender.client() as client:
            while True:
                batch = await consumer.getmany(timeout_ms=1000, max_records=100)
                for tp, messages in batch.items():
                    for message in messages:
                        try:
                            alert = orjson.loads(message.value)
                        except orjson.JSONDecodeError:
                            log.warning("%s[%d]@%d is not an alert: skipped",
                                        tp.topic, tp.partition, message.offset)  # fmt: skip
                        else:
                            self._sender.note(alert)
                            await self._sender.deliver_until_accepted(
                                client, alert, message.timestamp / 1000, self._max_age_s
                            )
                        await consumer.commit({tp: message.offset + 1})
                await self._sender.resend_firing(client)
