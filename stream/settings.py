"""finsentry's one settings object: built once by the CLI from ``FINSENTRY_*`` and passed down."""

from __future__ import annotations

import os
from pathlib import Path
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from models.settings import ModelSettings

__all__ = [
    "AlertSettings",
    "DeliverySettings",
    "KafkaSettings",
    "MetricsSettings",
    "PiiSettings",
    "Settings",
    "TopicSettings",
    "ValidationSettings",
    "WindowSettings",
]

_FROZEN = ConfigDict(frozen=True, extra="forbid")
_DATA = Path(__file__).resolve().parent / "data"


class TopicSettings(BaseModel):
    model_config = _FROZEN
    news: str = "finsentry.news"
    transactions: str = "finsentry.transactions"
    scored: str = "finsentry.scored"
    alerts: str = "finsentry.alerts"
    dead_letters: str = "finsentry.dead-letters"
    contributions: str = "finsentry.contributions"  # internal: per-topic window input
    feedback: str = "finsentry.feedback"  # analysts' corrections (finsentry feedback add)
    partitions: int = Field(4, ge=1)
    replication_factor: int = Field(1, ge=1)

    ROLES: ClassVar[tuple[str, ...]] = (
        "news",
        "transactions",
        "scored",
        "alerts",
        "dead_letters",
        "contributions",
        "feedback",
    )

    def by_role(self) -> dict[str, str]:
        """Topic name of each role (news, transactions, scored, ...)."""
        return {role: getattr(self, role) for role in self.ROLES}


class KafkaSettings(BaseModel):
    model_config = _FROZEN
    bootstrap_servers: str = "localhost:9092"
    security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] | None = None
    sasl_username: str | None = None
    sasl_password: SecretStr | None = None
    ssl_cafile: Path | None = None
    group_id: str = "finsentry"
    session_timeout_s: float = Field(6.0, gt=0)
    heartbeat_interval_s: float = Field(1.0, gt=0)
    fetch_max_wait_ms: int = Field(
        100,
        ge=1,
        le=30_000,
        description="longest a worker fetch waits for new records. Kafka answers as soon as "
        "data arrives; the embedded broker (Tansu) answers only when this expires, so it "
        "bounds the latency there (faust's own 1500 ms made the median ~0.7 s)",
    )
    fetch_min_bytes: int = Field(
        65_536,
        ge=1,
        description="a worker fetch waits (up to fetch_max_wait_ms) until this much data is "
        "there: input micro-batches are what one fetch brings, so at moderate rates they fill "
        "instead of holding a record or two each",
    )
    commit_interval_s: float = Field(
        1.0, gt=0, description="input offsets are committed this often (once stored)"
    )
    commit_every: int = Field(500, ge=1, description="... or after this many processed records")
    unreachable_after_s: float = Field(
        15.0,
        gt=0,
        description="the worker is not ready (/readyz 503) after this long without an answer "
        "from the broker; liveness stays up",
    )
    topics: TopicSettings = Field(default_factory=TopicSettings)


class ValidationSettings(BaseModel):
    model_config = _FROZEN
    max_record_bytes: int = Field(256_000, ge=1024)
    max_future_skew_s: float = Field(300.0, ge=0)
    max_abs_amount: float = Field(1e9, gt=0)
    max_subjects: int = Field(
        64,
        ge=1,
        description="subjects a record counts for at most (the first ones found); the rest "
        "are dropped and counted in finsentry_subjects_dropped_total",
    )


class WindowSettings(BaseModel):
    model_config = _FROZEN
    tumbling_s: int = Field(60, ge=1, description="pane size; also the hop of hopping windows")
    hopping_s: int = Field(900, ge=1, description="hopping window size (multiple of tumbling)")
    retention_s: int = Field(3600, ge=60, description="event-time history kept per topic")
    pack_after_s: int = Field(
        60,
        ge=0,
        description="a subject key silent this long (event time) is held packed in memory "
        "(~10x smaller) until it is next touched",
    )


class AlertSettings(BaseModel):
    model_config = _FROZEN
    rules_file: Path = _DATA / "rules.toml"
    watchlist_file: Path = _DATA / "watchlist.toml"
    sample_ids: int = Field(5, ge=0, description="record ids carried as evidence")


class EntitySettings(BaseModel):
    """What news is about (``stream.entities``) and whether it is new (``novelty``)."""

    model_config = _FROZEN
    universe_file: Path | None = Field(
        None,
        description="companies in the watchlist's TOML format instead of the built-in "
        "universe (pytickersymbols' index members); the watchlist applies on top",
    )
    min_relevance: float = Field(
        0.2, ge=0.0, le=1.0, description="subjects less relevant than this do not count"
    )
    novelty_horizon_s: float = Field(
        86_400.0, gt=0, description="a near-duplicate story within this much event time repeats"
    )
    novelty_threshold: float = Field(
        0.5,
        gt=0.0,
        lt=1.0,
        description="estimated Jaccard similarity of headline shingles from which a story "
        "is a near-duplicate",
    )
    novelty_max_stories: int = Field(
        200_000, ge=1, description="stories remembered at most (the oldest go first)"
    )


class PiiSettings(BaseModel):
    model_config = _FROZEN
    account_hash_key: SecretStr = SecretStr("finsentry-demo-key-change-me")


class MetricsSettings(BaseModel):
    model_config = _FROZEN
    host: str = "127.0.0.1"
    port: int = Field(9464, ge=0, le=65535, description="/metrics, /healthz, /readyz; 0 = off")
    max_topics: int = Field(
        200, ge=0, description="topic label values beyond the watchlist; the rest are 'other'"
    )
    lag_interval_s: float = Field(5.0, gt=0, description="consumer-lag gauge refresh")


class DeliverySettings(BaseModel):
    """Where alert transitions are pushed besides the alerts topic (both optional)."""

    model_config = _FROZEN
    alertmanager_url: str | None = Field(None, description="e.g. http://alertmanager:9093")
    webhook_url: str | None = Field(None, description="generic JSON webhook (POST)")
    webhook_token: SecretStr | None = Field(None, description="sent as a Bearer token")
    timeout_s: float = Field(5.0, gt=0)
    max_attempts: int = Field(
        5, ge=1, description="failed tries after which a receiver is counted failed and logged"
    )
    backoff_s: float = Field(0.5, gt=0, description="first retry delay; doubles, max 30 s")
    queue_size: int = Field(1000, ge=1, description="pending alerts; the oldest drop when full")
    resend_s: float = Field(60.0, gt=0, description="re-push firing alerts to Alertmanager")
    max_age_s: float = Field(
        86_400.0,
        gt=0,
        description="the worker retries an alert until every receiver accepted it or it is "
        "this old (then it is dropped, counted as expired)",
    )


class Settings(BaseSettings):
    """All settings. Nested sections use ``__``: ``FINSENTRY_MODEL__THREADS=4``."""

    model_config = SettingsConfigDict(
        env_prefix="FINSENTRY_", env_nested_delimiter="__", frozen=True, extra="ignore"
    )

    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    model: ModelSettings = Field(default_factory=ModelSettings)
    kafka: KafkaSettings = Field(default_factory=KafkaSettings)
    validation: ValidationSettings = Field(default_factory=ValidationSettings)
    windows: WindowSettings = Field(default_factory=WindowSettings)
    alerts: AlertSettings = Field(default_factory=AlertSettings)
    entities: EntitySettings = Field(default_factory=EntitySettings)
    pii: PiiSettings = Field(default_factory=PiiSettings)
    metrics: MetricsSettings = Field(default_factory=MetricsSettings)
    delivery: DeliverySettings = Field(default_factory=DeliverySettings)
    batch_max: int = Field(
        128,
        ge=1,
        description="records per micro-batch. An input batch is what one fetch brings, up to "
        "this: small when records trickle in, full under load",
    )
    batch_within_s: float = Field(
        0.2, gt=0, description="longest wait to fill a micro-batch of the windows agent"
    )
    inference_workers: int = Field(
        2,
        ge=1,
        le=16,
        description="micro-batches the worker scores at the same time; model.threads is "
        "shared out among them. On a busy CPU two 1-thread runs beat one 2-thread run: an "
        "intra-op thread that loses its core to the event loop stalls its partner",
    )
    batches_in_flight: int = Field(
        4,
        ge=1,
        le=16,
        description="micro-batches per input agent between fetch and commit: parsed and "
        "scored side by side while earlier ones wait for their broker acks, published in "
        "the order they came",
    )

    def inference_model(self) -> ModelSettings:
        """The model settings of one inference worker: ``model.threads`` shared out."""
        total = self.model.threads or os.cpu_count() or 1
        return self.model.model_copy(update={"threads": max(1, total // self.inference_workers)})
