"""Kafka client configuration: the only place that turns ``KafkaSettings`` into client options.

Every Kafka client finsentry makes (the worker's faust app, producers, consumers, the admin
client) gets its connection and security options from here; the SASL password leaves its
``SecretStr`` only in :func:`client_kwargs`.
"""

from __future__ import annotations

import ssl
from typing import Any

from stream.errors import BrokerError
from stream.settings import KafkaSettings

__all__ = [
    "client_kwargs",
    "make_admin",
    "make_consumer",
    "make_producer",
    "sasl_options",
    "ssl_context",
    "unreachable",
]


def ssl_context(kafka: KafkaSettings) -> ssl.SSLContext | None:
    """The TLS context of the SSL and SASL_SSL protocols (None for plaintext)."""
    if kafka.security_protocol not in ("SSL", "SASL_SSL"):
        return None
    return ssl.create_default_context(cafile=str(kafka.ssl_cafile) if kafka.ssl_cafile else None)


def sasl_options(kafka: KafkaSettings) -> dict[str, Any]:
    """``mechanism``, ``username``, ``password`` (clear text) when SASL is configured, else {}."""
    if not kafka.sasl_mechanism:
        return {}
    return {
        "mechanism": kafka.sasl_mechanism,
        "username": kafka.sasl_username,
        "password": kafka.sasl_password.get_secret_value() if kafka.sasl_password else None,
    }


def client_kwargs(kafka: KafkaSettings) -> dict[str, Any]:
    """aiokafka client arguments: servers, protocol, TLS and SASL."""
    kwargs: dict[str, Any] = {
        "bootstrap_servers": kafka.bootstrap_servers,
        "security_protocol": kafka.security_protocol,
    }
    context = ssl_context(kafka)
    if context is not None:
        kwargs["ssl_context"] = context
    sasl = sasl_options(kafka)
    if sasl:
        kwargs.update(
            sasl_mechanism=sasl["mechanism"],
            sasl_plain_username=sasl["username"],
            sasl_plain_password=sasl["password"],
        )
    return kwargs


def make_consumer(kafka: KafkaSettings, *topics: str, **options: Any) -> Any:
    """An aiokafka consumer — outside any group, from the earliest offset, committing nothing
    by itself — unless ``options`` say otherwise (``group_id=...``)."""
    from aiokafka import AIOKafkaConsumer

    defaults = {"group_id": None, "auto_offset_reset": "earliest", "enable_auto_commit": False}
    return AIOKafkaConsumer(*topics, **client_kwargs(kafka), **{**defaults, **options})


def make_producer(kafka: KafkaSettings, **options: Any) -> Any:
    """An aiokafka producer (``options``: linger_ms, acks, ...)."""
    from aiokafka import AIOKafkaProducer

    return AIOKafkaProducer(**client_kwargs(kafka), **options)


def make_admin(kafka: KafkaSettings) -> Any:
    from aiokafka.admin import AIOKafkaAdminClient

    return AIOKafkaAdminClient(**client_kwargs(kafka))


def unreachable(kafka: KafkaSettings, exc: BaseException, doing: str = "") -> BrokerError:
    """The one-line error for a broker that cannot be reached (``raise unreachable(...)``)."""
    what = f" to {doing}" if doing else ""
    security = (
        f"; the connection uses {kafka.security_protocol}"
        f"{' with SASL ' + kafka.sasl_mechanism if kafka.sasl_mechanism else ''}: check that "
        "the broker's listener expects it (FINSENTRY_KAFKA__SECURITY_PROTOCOL)"
        if kafka.security_protocol != "PLAINTEXT"
        else ""
    )
    cause = exc.__cause__ or exc.__context__
    because = f"; caused by {type(cause).__name__}: {cause}" if cause else ""
    msg = (
        f"cannot reach Kafka at {kafka.bootstrap_servers}{what} ({type(exc).__name__}: {exc}"
        f"{because}): check FINSENTRY_KAFKA__BOOTSTRAP_SERVERS and that the broker is running"
        f"{security}"
    )
    return BrokerError(msg)
