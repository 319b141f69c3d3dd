"""``finsentry worker``: the faust worker in this process, until stopped."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from stream.settings import Settings

if TYPE_CHECKING:
    from stream.pipeline.novelty import NoveltyIndex

__all__ = ["run_worker"]

log = logging.getLogger(__name__)


def restore_novelty(settings: Settings, novelty: NoveltyIndex) -> int:
    """Seed the novelty index with the news the scored topic holds from before this start, so
    a copy of a story scored before a restart is still a repeat."""
    from stream.kafka.tail import read_recent
    from stream.records import ScoredEvent

    topic = settings.kafka.topics.by_role()["scored"]
    partitions = settings.kafka.topics.partitions
    per_partition = max(1, settings.entities.novelty_max_stories // partitions)
    events = []
    for raw in read_recent(settings.kafka, topic, per_partition):
        if isinstance(raw, dict) and raw.get("kind") == "news":
            try:
                events.append(ScoredEvent.from_wire(raw))
            except (KeyError, TypeError, ValueError):
                continue
    seeded = novelty.seed(sorted(events, key=lambda e: e.ts))
    log.info("novelty: %d stories restored from %s", seeded, topic)
    return seeded


def run_worker(settings: Settings) -> None:
    """Create the topics, build the parts, wire them into faust and run (Ctrl-C stops)."""
    import faust
    from prometheus_client import CollectorRegistry

    from exporters.http import serve
    from models.errors import ModelError
    from stream.kafka.admin import create_topics
    from stream.worker.agents import register_agents
    from stream.worker.app import create_app
    from stream.worker.build import build_worker
    from stream.worker.faust_compat import check_faust_version
    from stream.worker.summaries import RepeatFilter

    check_faust_version()
    # the same warning again and again (a broker that is away: aiokafka logs every attempt)
    # becomes one line per interval with a count
    for handler in logging.getLogger().handlers:
        handler.addFilter(RepeatFilter(30.0))
    # a model that does not load stops the worker here, with one line (exit 2), not after
    # faust has started and joined the group
    classifier = settings.inference_model().load()
    create_topics(settings.kafka)
    app, topics = create_app(settings)
    registry = CollectorRegistry()
    model = settings.inference_model()
    worker = build_worker(
        settings,
        app,
        topics,
        registry,
        load_classifier=lambda version: classifier if version is None else model.load(version),
    )
    restore_novelty(settings, worker.novelty)
    register_agents(app, topics, worker, settings)
    if settings.metrics.port:
        serve(registry, worker.health, settings.metrics.host, settings.metrics.port)

    @app.task
    async def load_model() -> None:
        try:
            await worker.model.get()
        except ModelError as exc:
            log.error("cannot load the model: %s", exc)
            worker.health.problem = f"model not loaded: {exc}"
            raise

    if settings.model.follows_registry():

        @app.task
        async def follow_registry() -> None:
            await worker.model.watch(settings.model.watch_s)

    faust.Worker(
        app, loglevel=settings.log_level, quiet=True, override_logging=False
    ).execute_from_commandline()
