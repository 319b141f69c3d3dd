"""``create_app(settings)``: the faust app, its topics and table. No side effects at import."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import faust

from stream.kafka.client import sasl_options, ssl_context
from stream.settings import KafkaSettings, Settings
from stream.worker.faust_compat import App as FixedApp

__all__ = ["AppTopics", "create_app", "credentials"]


def credentials(kafka: KafkaSettings) -> Any:
    """faust's credentials object for the settings' TLS / SASL options (see ``kafka.client``)."""
    context = ssl_context(kafka)
    sasl = sasl_options(kafka)
    if not sasl:
        return faust.SSLCredentials(context) if context else None
    return faust.SASLCredentials(
        username=sasl["username"],
        password=sasl["password"],
        ssl_context=context,
        mechanism=sasl["mechanism"],
    )


@dataclass(frozen=True)
class AppTopics:
    news: Any
    transactions: Any
    scored: Any
    alerts: Any
    dead_letters: Any
    contributions: Any
    feedback: Any
    windows: Any  # faust Table: subject key (bytes) -> KeyState JSON (bytes)


def create_app(settings: Settings) -> tuple[faust.App, AppTopics]:
    kafka = settings.kafka
    t = kafka.topics
    app = FixedApp(
        kafka.group_id,
        broker=f"kafka://{kafka.bootstrap_servers.replace(',', ';kafka://')}",
        broker_credentials=credentials(kafka),
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
        feedback=topic(t.feedback),
        windows=app.Table(
            "windows", default=None, partitions=t.partitions, key_type=bytes, value_type=bytes
        ),
    )
    return app, topics
