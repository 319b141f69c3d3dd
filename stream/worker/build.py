"""The worker's parts, built once from the settings: the only place that reads all of them.

``build_worker`` makes the metrics, the subject labels, the probes' health, the alert sender,
the classifier (loaded lazily, swapped on a registry promotion), the drift monitor, one input
handler and pipeline per record kind, the windows handler and the scrape-time collectors;
``stream.worker.agents`` then wires them into faust.
Each part takes only what it uses, so a unit test can build any of them without faust.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from typing import Any

from prometheus_client import CollectorRegistry

from exporters.collectors import (
    register_consumer_lag,
    register_drift,
    register_pipeline_batches,
    register_window_state,
)
from exporters.delivery import AlertSender
from exporters.http import Health
from exporters.metrics import Metrics, SubjectLabels
from models.serving.runtime import Classifier
from stream.entities.sectors import SECTORS
from stream.errors import ConfigError
from stream.kafka.changelog import read_changelog_partition
from stream.pipeline.batch import BatchContext, WindowStep
from stream.pipeline.kinds import KINDS
from stream.pipeline.novelty import NoveltyIndex
from stream.settings import Settings
from stream.worker.alert_outbox import AlertOutbox
from stream.worker.app import AppTopics
from stream.worker.drift import DriftMonitor
from stream.worker.feedback import FeedbackHandler
from stream.worker.inflight import InFlight
from stream.worker.inputs import InputHandler, OutputTopics, Prepared
from stream.worker.model import LiveModel
from stream.worker.observe import lag_samples
from stream.worker.outbox import Outbox
from stream.worker.shadow import ShadowScorer
from stream.worker.windows import ChangelogSync, WindowsHandler, WindowTopics

__all__ = ["Worker", "build_worker", "subject_labels"]


@dataclass
class Worker:
    """What the agents run."""

    metrics: Metrics
    health: Health
    outbox: AlertOutbox  # alert delivery, reading the alerts topic
    model: LiveModel
    inputs: dict[str, InputHandler]  # record kind -> its handler
    flights: dict[str, InFlight[Prepared]]  # record kind -> its pipeline
    input_topics: dict[str, str]  # record kind -> the Kafka topic it arrives on
    windows: WindowsHandler
    sync: ChangelogSync
    executor: ThreadPoolExecutor
    novelty: NoveltyIndex  # the stories seen (restored from the scored topic at start)
    drift: DriftMonitor
    feedback: FeedbackHandler
    shadow: ShadowScorer | None


def subject_labels(ctx: BatchContext, limit: int) -> SubjectLabels:
    """The watchlist's tickers and every sector are always label values."""
    always = [f"ticker:{t}" for t in sorted(ctx.entities.universe.watched)]
    return SubjectLabels(always + [f"sector:{s}" for s in SECTORS], limit)


def registry_pointer(settings: Settings) -> Callable[[], str | None] | None:
    """What the worker watches for promotions: the registry's current version, unless the
    model is a fixed directory or a pinned version."""
    if not settings.model.follows_registry():
        return None
    from models.registry import Registry

    return Registry(settings.model.registry).current  # type: ignore[arg-type]


def shadow_scorer(settings: Settings, metrics: Metrics) -> ShadowScorer | None:
    """The candidate of ``FINSENTRY_MODEL__SHADOW`` (a registry version), one thread."""
    m = settings.model
    if m.shadow is None:
        return None
    if m.registry is None:
        msg = "FINSENTRY_MODEL__SHADOW names a registry version: set FINSENTRY_MODEL__REGISTRY"
        raise ConfigError(msg)
    from models.registry import Registry

    directory = Registry(m.registry).directory(m.shadow)  # a missing version stops the start
    load = m.model_copy(update={"dir": directory, "threads": 1}).load
    return ShadowScorer(load, m.shadow_share, metrics, m.shadow)


def alert_sender(settings: Settings, metrics: Metrics) -> AlertSender:
    d = settings.delivery
    return AlertSender(
        metrics,
        alertmanager_url=d.alertmanager_url,
        webhook_url=d.webhook_url,
        webhook_token=d.webhook_token.get_secret_value() if d.webhook_token else None,
        timeout_s=d.timeout_s,
        max_attempts=d.max_attempts,
        backoff_s=d.backoff_s,
        queue_size=d.queue_size,
        resend_s=d.resend_s,
    )


def build_worker(
    settings: Settings,
    app: Any,
    topics: AppTopics,
    registry: CollectorRegistry,
    load_classifier: Callable[[str | None], Classifier] | None = None,
) -> Worker:
    """Everything the worker needs; raises ``ConfigError`` for a bad rules or watchlist file."""
    metrics = Metrics.create(registry)
    ctx = BatchContext.from_settings(settings)
    step = WindowStep.from_settings(settings)
    labels = subject_labels(ctx, settings.metrics.max_topics)
    health = Health(broker_stale_s=settings.kafka.unreachable_after_s)
    sender = alert_sender(settings, metrics)
    outbox = Outbox(app, settings.kafka.topics.partitions)
    executor = ThreadPoolExecutor(
        settings.inference_workers, thread_name_prefix="finsentry-inference"
    )
    serving = settings.inference_model()
    model = LiveModel(
        load_classifier or serving.load,
        executor,
        metrics,
        health,
        registry_pointer(settings),
        # a swap's load yields the CPU to scoring when sessions run on the calling thread
        load_nice=10 if serving.threads == 1 and serving.provider in ("auto", "cpu") else 0,
    )
    drift = DriftMonitor(
        model.reference, settings.model.drift_window, settings.model.drift_min_records
    )
    shadow = shadow_scorer(settings, metrics)
    names = settings.kafka.topics.by_role()
    outputs = OutputTopics(
        names["scored"],
        names["dead_letters"],
        names["contributions"],
        settings.kafka.topics.partitions,
    )
    inputs: dict[str, InputHandler] = {
        kind.name: InputHandler(
            kind, ctx, model.scorer, executor, outbox, outputs, metrics, labels, drift, shadow
        )
        for kind in KINDS.values()
    }
    flights: dict[str, InFlight[Prepared]] = {
        name: InFlight(
            handler.prepare,
            handler.publish,
            lambda messages: app.consumer.release(messages),
            settings.batches_in_flight,
            settings.batch_max,
            handler.received,
            handler.unpublishable,
        )
        for name, handler in inputs.items()
    }
    table = topics.windows
    sync = ChangelogSync(
        partial(read_changelog_partition, settings.kafka, table.changelog_topic.get_topic_name()),
        table.data.clear,  # faust's recovery fills it; the handler keeps its own states
    )
    windows = WindowsHandler(
        step,
        sync,
        outbox,
        WindowTopics(table.changelog_topic.get_topic_name(), names["alerts"]),
        metrics,
        labels,
        settings.windows.pack_after_s,
    )
    roles = {name: role for role, name in names.items()}
    register_consumer_lag(registry, lambda: lag_samples(app.consumer, roles))
    register_window_state(registry, windows.held, windows.packed_bytes)
    register_pipeline_batches(
        registry, lambda: [((kind,), flight.in_flight) for kind, flight in flights.items()]
    )
    register_drift(registry, drift.psi, drift.inputs, drift.records)
    return Worker(
        metrics,
        health,
        AlertOutbox(settings, sender),
        model,
        inputs,
        flights,
        {kind.name: names[kind.input_role] for kind in KINDS.values()},
        windows,
        sync,
        executor,
        ctx.novelty,
        drift,
        FeedbackHandler(ctx, outbox, names["dead_letters"], metrics),
        shadow,
    )
