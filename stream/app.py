"""``create_app(settings)``: the faust app, its topics and table. No side effects at import."""

from __future__ import annotations

import ssl
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import faust

from stream.faust_fix import App as FixedApp
from stream.settings import KafkaSettings, Settings

__all__ = ["AppTopics", "client_kwargs", "create_app"]


def _ssl_context(kafka: KafkaSettings) -> ssl.SSLContext | None:
    if kafka.security_protocol not in ("SSL", "SASL_SSL"):
        return None
    return ssl.create_default_context(cafile=str(kafka.ssl_cafile) if kafka.ssl_cafile else None)


def client_kwargs(kafka: KafkaSettings) -> dict[str, Any]:
    """aiokafka client arguments (the password is read from its SecretStr only here)."""
    kwargs: dict[str, Any] = {
        "bootstrap_servers": kafka.bootstrap_servers,
        "security_protocol": kafka.security_protocol,
    }
    context = _ssl_context(kafka)
    if context is not None:
        kwargs["ssl_context"] = context
    if kafka.sasl_mechanism:
        kwargs.update(
            sasl_mechanism=kafka.sasl_mechanism,
            sasl_plain_username=kafka.sasl_username,
            sasl_plain_password=kafka.sasl_password.get_secret_value()
            if kafka.sasl_password
            else None,
        )
    return kwargs


def _credentials(kafka: KafkaSettings) -> Any:
    if not kafka.sasl_mechanism:
        return faust.SSLCredentials(_ssl_context(kafka)) if _ssl_context(kafka) else None
    return faust.SASLCredentials(
        username=kafka.sasl_username,
        password=kafka.sasl_password.get_secret_value() if kafka.sasl_password else None,
        ssl_context=_ssl_context(kafka),
        mechanism=kafka.sasl_mechanism,
    )


@dataclass(frozen=True)
class AppTopics:
    news: Any
    transactions: Any
    scored: Any
    alerts: Any
    dead_letters: Any
    contributions: Any
    windows: Any  # faust Table: topic key (bytes) -> KeyState JSON (bytes)


def create_app(settings: Settings) -> tuple[faust.App, AppTopics]:
    kafka = settings.kafka
    t = kafka.topics
    app = FixedApp(
        kafka.group_id,
        broker=f"kafka://{kafka.bootstrap_servers.replace(',', ';kafka://')}",
        broker_credentials=_credentials(kafka),
        store="memory://",
        # faust makes a data dir even for memory tables; keep it out of the working directory
        datadir=Path(tempfile.gettempdir()) / f"finsentry-{kafka.group_id}-data",
        topic_partitions=t.partitions,
        topic_replication_factor=t.replication_factor,
        topic_allow_declare=True,
        broker_session_timeout=kafka.session_timeout_s,
        broker_heartbeat_interval=kafka.heartbeat_interval_s,
        consumer_auto_offset_reset="earliest",
        web_enabled=False,
        producer_linger=0.005,
        broker_commit_every=kafka.commit_every,
        broker_commit_interval=kafka.commit_interval_s,
        stream_buffer_maxsize=max(4096, settings.batch_max * 8),
        table_cleanup_interval=3600.0,
        autodiscover=False,
    )

    app.fetch_max_wait_ms = kafka.fetch_max_wait_ms
    app.fetch_min_bytes = kafka.fetch_min_bytes

    def topic(name: str) -> Any:
        return app.topic(
            name, key_serializer="raw", value_serializer="raw", partitions=t.partitions
        )

    topics = AppTopics(
        news=topic(t.news),
        transactions=topic(t.transactions),
        scored=topic(t.scored),
        alerts=topic(t.alerts),
        dead_letters=topic(t.dead_letters),
        contributions=topic(t.contributions),
        windows=app.Table(
            "windows", default=None, partitions=t.partitions, key_type=bytes, value_type=bytes
        ),
    )
    return app, topics
