"""Thin faust adapters around the pure stages.

Input agents (news, transactions): a micro-batch from the consumer -> parse and score in an
inference thread -> send scored events, dead letters, and per-topic contributions (one message
per contributions partition, routed by topic key). The window agent applies contributions to
the per-key state idempotently, evaluates alert rules and persists the state with its source
offsets in one changelog write.
"""

from __future__ import annotations

import asyncio
import logging
import time
import zlib
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any

import faust
import orjson
from prometheus_client import CollectorRegistry

from exporters.delivery import AlertSender
from exporters.http import Health
from exporters.metrics import Metrics, TopicLabels
from models.runtime import Classifier
from stream.app import AppTopics
from stream.changelog import read_changelog_partition
from stream.observe import export_lag, export_windows
from stream.outbox import Outbox
from stream.pipeline import InFlight, describe, retry_forever
from stream.records import DeadLetter, SourceRef
from stream.settings import Settings
from stream.stages.aggregate import Contribution, KeyState, contributions_of
from stream.stages.alert import apply_and_evaluate, load_rules
from stream.stages.offsets import Ranges, runs, union
from stream.stages.parse import ParsedBatch, parse_batch
from stream.stages.score import TASK_OF_KIND, ScoreOutcome, score_records
from stream.topics import Watchlist

__all__ = ["Worker", "partition_for"]

log = logging.getLogger(__name__)


def partition_for(key: str, partitions: int) -> int:
    """Stable topic-key routing for the contributions topic (same on every worker)."""
    return zlib.crc32(key.encode()) % partitions


@dataclass(frozen=True, slots=True)
class Prepared:
    """One input batch, parsed and scored, waiting for its turn to be published."""

    now: datetime
    parsed: ParsedBatch
    outcome: ScoreOutcome | None
    inference_s: float


class Worker:
    """Holds what the agents share: settings, model, rules, metrics."""

    def __init__(
        self,
        settings: Settings,
        app: faust.App,
        topics: AppTopics,
        registry: CollectorRegistry,
        load_classifier: Callable[[], Classifier] | None = None,
    ) -> None:
        self.settings = settings
        self.app = app
        self.topics = topics
        self.metrics = Metrics.create(registry)
        self.watchlist = Watchlist.load(settings.alerts.watchlist_file)
        self.labels = TopicLabels(
            [f"ticker:{t}" for t in self.watchlist.sectors]
            + [f"sector:{s}" for s in set(self.watchlist.sectors.values()) if s],
            settings.metrics.max_topics,
        )
        self.health = Health()
        self.outbox = Outbox(app, settings.kafka.topics.partitions)
        d = settings.delivery
        self.sender = AlertSender(
            self.metrics,
            alertmanager_url=d.alertmanager_url,
            webhook_url=d.webhook_url,
            webhook_token=d.webhook_token.get_secret_value() if d.webhook_token else None,
            timeout_s=d.timeout_s,
            max_attempts=d.max_attempts,
            backoff_s=d.backoff_s,
            queue_size=d.queue_size,
            resend_s=d.resend_s,
        )
        self.rules = load_rules(settings.alerts.rules_file)
        self.account_key = settings.pii.account_hash_key.get_secret_value().encode()
        self._load_classifier = load_classifier or settings.inference_model().load
        self._classifier: Classifier | None = None
        self._lock = asyncio.Lock()
        self._synced: set[int] = set()  # windows partitions caught up since the last rebalance
        self.flights: dict[str, InFlight[Prepared]] = {}  # input kind -> its pipeline
        self.executor = ThreadPoolExecutor(
            settings.inference_workers, thread_name_prefix="finsentry-inference"
        )

    # -- wiring -------------------------------------------------------------------------------
    def register(self) -> None:
        s, t = self.settings, self.topics

        # Input agents: the consumer hands each fetch's records of the agent's topic straight
        # to the agent's pipeline in batches of up to ``batch_max`` (``faust_fix``, batch
        # sinks), skipping faust's per-record stream path; up to ``batches_in_flight`` are
        # parsed and scored at once while earlier ones wait for their broker acks; outputs
        # leave in the order the batches came (``stream.pipeline``).
        # The sinks are in place before the consumer starts, so no input record can take
        # faust's own path to a stream nobody reads.
        def input_agent(topic: Any, name: str, kind: str) -> None:
            flight: InFlight[Prepared] = InFlight(
                partial(self.prepare_inputs, kind),
                partial(self.publish_inputs, kind),
                self.release,
                s.batches_in_flight,
                s.batch_max,
                partial(self.received, kind),
            )
            self.app.consumer.add_batch_sink(topic.get_topic_name(), flight)  # type: ignore[attr-defined]
            self.flights[kind] = flight

            async def agent(stream: Any) -> None:
                # subscribes the topic; the stream itself stays empty (records go to the sink)
                await flight.run()

            self.app.agent(topic, name=name)(agent)

        input_agent(t.news, "score-news", "news")
        input_agent(t.transactions, "score-transactions", "transaction")

        @self.app.agent(t.contributions, name="windows")
        async def windows(stream: Any) -> None:
            async for events in stream.take_events(s.batch_max, s.batch_within_s):
                what = describe([e.message for e in events])
                await retry_forever(what, partial(self.handle_contributions, events))

        @self.app.on_partitions_assigned.connect  # type: ignore[arg-type]
        async def reset_sync(sender: Any, assigned: Any = None, **kwargs: Any) -> None:
            self._synced.clear()
            self.health.assigned_partitions = len(assigned or ())

        roles = {name: role for role, name in s.kafka.topics.by_role().items()}

        @self.app.timer(s.metrics.lag_interval_s)
        async def observe() -> None:
            self.health.beat()
            export_lag(self.metrics, self.app.consumer, roles)
            for kind, flight in self.flights.items():
                self.metrics.pipeline_batches.labels(kind).set(flight.in_flight)
            unstick = getattr(self.app.consumer, "unstick", None)
            if unstick is not None:
                await unstick(s.metrics.lag_interval_s * 3)

        @self.app.task
        async def deliver_alerts() -> None:
            await self.sender.run()

    async def _catch_up(self, partition: int) -> None:
        if partition in self._synced:
            return
        table = self.topics.windows
        read = await read_changelog_partition(
            self.settings.kafka, table.changelog_topic.get_topic_name(), partition, table.data
        )
        log.info("windows[%d]: caught up with %d changelog records", partition, read)
        self._synced.add(partition)

    async def classifier(self) -> Classifier:
        async with self._lock:
            if self._classifier is None:
                loop = asyncio.get_running_loop()
                self._classifier = await loop.run_in_executor(self.executor, self._load_classifier)
                clf = self._classifier
                self.metrics.model.info(
                    {"version": clf.version, "variant": clf.variant, "provider": clf.provider}
                )
                self.health.model_loaded = True
        return self._classifier

    # -- input agents -------------------------------------------------------------------------
    def received(self, kind: str, messages: Sequence[Any]) -> None:
        self.metrics.consumed.labels(kind).inc(len(messages))
        self.metrics.last_record.labels(kind).set(time.time())

    async def prepare_inputs(self, kind: str, messages: Sequence[Any]) -> Prepared:
        """Parse and score one micro-batch in an inference thread (several run at once)."""
        now = datetime.now(UTC)
        raws = [
            (
                m.value if isinstance(m.value, bytes) else str(m.value).encode(),
                SourceRef(m.topic, m.partition, m.offset),
            )
            for m in messages
        ]
        clf = await self.classifier()
        scorer = clf.scorer(TASK_OF_KIND[kind])
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self.executor, self._parse_and_score, kind, raws, now, scorer
        )

    def _parse_and_score(
        self, kind: str, raws: list[tuple[bytes, SourceRef]], now: datetime, scorer: Any
    ) -> Prepared:
        parsed = parse_batch(kind, raws, self.settings.validation, now, self.account_key)
        if not parsed.items:
            return Prepared(now, parsed, None, 0.0)
        started = time.perf_counter()
        outcome = score_records(kind, parsed.items, scorer, self.watchlist)
        return Prepared(now, parsed, outcome, time.perf_counter() - started)

    async def publish_inputs(
        self, kind: str, messages: Sequence[Any], prepared: Prepared
    ) -> list[Any]:
        """Send one batch's scored events, contributions and dead letters; returns their
        broker-ack futures (the batch's offsets are released only once all resolve).

        Sends leave at once (straight to the producer, or ``force=True``): by default faust
        attaches a send to the *current* event and publishes it when that event's offset
        commits, but a batch spans partitions, so the other partitions' offsets could commit
        first and a kill -9 lost their scores.
        """
        now, parsed, outcome = prepared.now, prepared.parsed, prepared.outcome
        pending: list[Any] = []
        rejects = list(parsed.rejects)
        if outcome is not None:
            self.metrics.inference_seconds.labels(kind).observe(prepared.inference_s)
            self.metrics.batch_size.labels(kind).observe(len(parsed.items))
            rejects += [
                DeadLetter("unscorable", why, ref, parsed.payloads[ref])
                for ref, why in outcome.failed
            ]
            pending += await self._publish(kind, outcome, messages)
        for dead in rejects:
            self.metrics.rejected.labels(kind, dead.reason).inc()
            log.warning("rejected %s: %s (%s)", dead.source, dead.reason, dead.detail[:200])
            pending.append(
                await self.topics.dead_letters.send(
                    force=True,
                    key=str(dead.source).encode(),
                    value=orjson.dumps({"kind": kind, **dead.to_wire(now)}),
                )
            )
        if rejects:
            self.metrics.dead_letters.labels(kind).inc(len(rejects))
        return pending

    def release(self, messages: Sequence[Any]) -> None:
        """The batch's outputs are stored: its offsets may be committed."""
        self.app.consumer.release(messages)  # type: ignore[attr-defined]

    async def _publish(
        self, kind: str, outcome: ScoreOutcome, messages: Sequence[Any]
    ) -> list[Any]:
        partitions = self.settings.kafka.topics.partitions
        grouped: dict[int, list[list[Any]]] = defaultdict(list)
        per_topic: Counter[str] = Counter()
        pending = []
        scored_topic = self.topics.scored.get_topic_name()
        labels: Counter[str] = Counter()
        for scored in outcome.scored:
            labels[scored.label] += 1
            for c in contributions_of(scored):
                grouped[partition_for(c.key, partitions)].append(c.to_wire())
                per_topic[self.labels.label(c.key)] += 1
        pending += await self.outbox.send_keyed(
            scored_topic, [(s.id.encode(), orjson.dumps(s.to_wire())) for s in outcome.scored]
        )
        for label, n in labels.items():
            self.metrics.scored.labels(kind, label).inc(n)
        for topic, n in per_topic.items():
            self.metrics.topic_records.labels(kind, topic).inc(n)
        # Every windows partition hears of every batch, with the source offsets it covered:
        # the windows remember them as ranges (see ``stages.offsets``).
        covered: dict[str, list[int]] = defaultdict(list)
        for m in messages:
            covered[f"{m.topic}[{m.partition}]"].append(m.offset)
        runs_by_source = {source: runs(offsets) for source, offsets in covered.items()}
        contributions_topic = self.topics.contributions.get_topic_name()
        for partition in range(partitions):
            body = orjson.dumps({"c": grouped.get(partition, []), "r": runs_by_source})
            pending.append(await self.outbox.send(contributions_topic, None, body, partition))
        sent = time.time()
        for m in messages:
            stamp = getattr(m, "timestamp", None)
            if stamp:
                self.metrics.e2e_seconds.labels(kind).observe(max(0.0, sent - stamp))
        return pending

    # -- windows agent ------------------------------------------------------------------------
    async def handle_contributions(self, events: Sequence[Any]) -> None:
        """Apply, evaluate, persist; the changelog writes and alerts are acknowledged before
        the batch's offsets can be committed."""
        pending: list[Any] = []
        by_key: dict[str, list[Contribution]] = defaultdict(list)
        partition_of: dict[str, int] = {}
        covered: dict[int, dict[str, Ranges]] = defaultdict(dict)  # partition -> source ranges
        for event in events:
            body = orjson.loads(event.value)
            partition = event.message.partition
            for raw in body["c"]:
                c = Contribution.from_wire(raw)
                by_key[c.key].append(c)
                partition_of[c.key] = partition
            seen = covered[partition]
            for source, ranges in body["r"].items():
                seen[source] = union(seen.get(source, []), ranges)
        w = self.settings.windows
        table = self.topics.windows
        for partition in set(partition_of.values()):
            await self._catch_up(partition)
        changelog = table.changelog_topic.get_topic_name()
        for key, contributions in by_key.items():
            kb = key.encode()
            stored = table.data.get(kb)
            state = KeyState.from_dict(orjson.loads(stored)) if stored else KeyState()
            result, alerts = apply_and_evaluate(
                key,
                state,
                contributions,
                self.rules,
                w.tumbling_s,
                w.hopping_s,
                w.retention_s,
                self.settings.alerts.sample_ids,
                covered[partition_of[key]],
            )
            self.metrics.duplicates.inc(result.duplicates)
            self.metrics.late.inc(result.late)
            if not result.applied and not result.late:
                continue
            value = orjson.dumps(state.to_dict())
            table.data[kb] = value
            pending.append(await self.outbox.send(changelog, kb, value, partition_of[key]))
            export_windows(self.metrics, self.labels, key, state, w.tumbling_s, w.hopping_s)
            for alert in alerts:
                self.metrics.alert_transitions.labels(alert.rule, alert.state).inc()
                self.metrics.alert_firing.labels(alert.rule, self.labels.label(key)).set(
                    1 if alert.state == "firing" else 0
                )
                log.info(
                    "alert %s %s on %s (value %.3f)", alert.rule, alert.state, key, alert.value
                )
                wire = alert.to_wire()
                pending.append(
                    await self.topics.alerts.send(force=True, key=kb, value=orjson.dumps(wire))
                )
                self.sender.submit(wire)
        await asyncio.gather(*pending)
