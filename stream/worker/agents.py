"""Wiring the worker's parts into faust: the only module that registers agents, timers, tasks.

Input topics (news, transactions): the consumer hands each fetch's records of the topic
straight to the kind's pipeline in batches of up to ``batch_max`` (batch sinks, see
``faust_compat``), skipping faust's per-record stream path; the agent subscribes the topic and
runs the pipeline, whose stream stays empty. The contributions topic: faust's stream, taken in
batches, to the windows handler; the feedback topic likewise, to the feedback handler. A
timer beats the liveness probe and unsticks partitions whose commit is held back; tasks
deliver alerts and (with a registry) follow model promotions.
"""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

from stream.pipeline.kinds import kind_named
from stream.settings import Settings
from stream.worker.app import AppTopics
from stream.worker.build import Worker
from stream.worker.faust_compat import broker_metadata
from stream.worker.inflight import InFlight, describe, retry_forever

__all__ = ["register_agents"]

log = logging.getLogger(__name__)


def _input_agent(app: Any, topic: Any, name: str, flight: InFlight[Any]) -> None:
    # The sink is in place before the consumer starts, so no input record can take faust's
    # own path to a stream nobody reads.
    app.consumer.add_batch_sink(topic.get_topic_name(), flight)

    async def agent(stream: Any) -> None:
        await flight.run()

    app.agent(topic, name=name)(agent)


def register_agents(app: Any, topics: AppTopics, worker: Worker, settings: Settings) -> None:
    by_name = {topics.news.get_topic_name(): topics.news}
    by_name[topics.transactions.get_topic_name()] = topics.transactions
    for kind, flight in worker.flights.items():
        topic = by_name[worker.input_topics[kind]]
        _input_agent(app, topic, f"score-{kind_named(kind).input_role}", flight)

    @app.agent(topics.contributions, name="windows")
    async def windows(stream: Any) -> None:
        async for events in stream.take_events(settings.batch_max, settings.batch_within_s):
            what = describe([e.message for e in events])
            batch = [(e.message.partition, e.value) for e in events]
            await retry_forever(what, partial(worker.windows.handle, batch))

    @app.agent(topics.feedback, name="feedback")
    async def feedback(stream: Any) -> None:
        async for events in stream.take_events(settings.batch_max, settings.batch_within_s):
            messages = [e.message for e in events]
            await retry_forever(describe(messages), partial(worker.feedback.handle, messages))

    @app.on_partitions_assigned.connect
    async def on_assigned(sender: Any, assigned: Any = None, **kwargs: Any) -> None:
        worker.sync.reset()
        worker.health.assigned_partitions = len(assigned or ())

    @app.timer(settings.metrics.lag_interval_s)
    async def beat() -> None:
        worker.health.beat()
        await app.consumer.unstick(settings.metrics.lag_interval_s * 3)

    @app.timer(min(settings.metrics.lag_interval_s, settings.kafka.unreachable_after_s / 3))
    async def watch_broker() -> None:
        try:
            await broker_metadata(app, settings.kafka.unreachable_after_s / 3)
        except Exception as exc:  # noqa: BLE001 - any failure means: no answer
            worker.health.broker_failed(
                f"no answer from Kafka at {settings.kafka.bootstrap_servers} "
                f"({type(exc).__name__}: {exc})"[:300]
            )
        else:
            worker.health.broker_answered()

    @app.task
    async def deliver_alerts() -> None:
        await worker.outbox.run()
