"""Thin faust adapters around the pure stages.

Input agents (news, transactions): take a micro-batch -> parse -> score in a worker thread ->
send scored events, dead letters, and per-topic contributions (one message per contributions
partition, routed by topic key). The window agent applies contributions to the per-key state
idempotently, evaluates alert rules and persists the state with its source offsets in one
changelog write.
"""

from __future__ import annotations

import asyncio
import logging
import time
import zlib
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
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
        self.executor = ThreadPoolExecutor(
            settings.inference_workers, thread_name_prefix="finsentry-inference"
        )

    # -- wiring -------------------------------------------------------------------------------
    def register(self) -> None:
        s, t = self.settings, self.topics

        # Several actors per input agent: while one batch waits for its broker acks the next
        # is scored. Offsets still commit only up to the oldest unfinished batch (faust acks a
        # batch after its handler returns, and commits the contiguous acked prefix).
        @self.app.agent(t.news, name="score-news", concurrency=s.batches_in_flight)
        async def news(stream: Any) -> None:
            async for events in stream.take_events(s.batch_max, s.batch_within_s):
                await self._retrying(self.handle_inputs, "news", events)

        @self.app.agent(t.transactions, name="score-transactions", concurrency=s.batches_in_flight)
        async def transactions(stream: Any) -> None:
            async for events in stream.take_events(s.batch_max, s.batch_within_s):
                await self._retrying(self.handle_inputs, "transaction", events)

        @self.app.agent(t.contributions, name="windows")
        async def windows(stream: Any) -> None:
            async for events in stream.take_events(s.batch_max, s.batch_within_s):
                await self._retrying(self.handle_contributions, events)

        @self.app.on_partitions_assigned.connect  # type: ignore[arg-type]
        async def reset_sync(sender: Any, assigned: Any = None, **kwargs: Any) -> None:
            self._synced.clear()
            self.health.assigned_partitions = len(assigned or ())

        roles = {name: role for role, name in s.kafka.topics.by_role().items()}

        @self.app.timer(s.metrics.lag_interval_s)
        async def observe() -> None:
            self.health.beat()
            export_lag(self.metrics, self.app.consumer, roles)
            unstick = getattr(self.app.consumer, "unstick", None)
            if unstick is not None:
                await unstick(s.metrics.lag_interval_s * 3)

        @self.app.task
        async def deliver_alerts() -> None:
            await self.sender.run()

    async def _retrying(self, handler: Callable[..., Awaitable[None]], *args: Any) -> None:
        """Run a batch handler until it succeeds: faust acks a batch's offsets even when the
        handler raises, so giving up would lose records. Backs off to 30 s, logs each failure."""
        events = args[-1]
        first = events[0].message if events else None
        where = f"{first.topic}[{first.partition}]@{first.offset}" if first else "?"
        delay = 0.5
        while True:
            try:
                await handler(*args)
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - any failure: retry, never drop
                log.error(
                    "batch of %d from %s failed (%s: %s); retrying in %.1f s",
                    len(events),
                    where,
                    type(exc).__name__,
                    exc,
                    delay,
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, 30.0)

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
    def _parse(self, kind: str, events: Sequence[Any], now: datetime) -> ParsedBatch:
        raws = []
        for event in events:
            msg = event.message
            raw = event.value if isinstance(event.value, bytes) else str(event.value).encode()
            raws.append((raw, SourceRef(msg.topic, msg.partition, msg.offset)))
        return parse_batch(kind, raws, self.settings.validation, now, self.account_key)

    async def handle_inputs(self, kind: str, events: Sequence[Any]) -> None:
        """One micro-batch; returns only once every output is acknowledged by the broker, so
        the batch's offsets are never committed ahead of its scores (at-least-once).

        Sends leave at once (straight to the producer, or ``force=True``): by default faust
        attaches a send to the *current* event and publishes it when that event's offset
        commits, but a batch spans partitions, so the other partitions' offsets could commit
        first and a kill -9 lost their scores.
        """
        now = datetime.now(UTC)
        pending: list[Any] = []
        self.metrics.consumed.labels(kind).inc(len(events))
        self.metrics.last_record.labels(kind).set(time.time())
        parsed = self._parse(kind, events, now)
        items, rejects, payloads = parsed.items, parsed.rejects, parsed.payloads
        if items:
            clf = await self.classifier()
            scorer = clf.scorer(TASK_OF_KIND[kind])
            started = time.perf_counter()
            loop = asyncio.get_running_loop()
            outcome: ScoreOutcome = await loop.run_in_executor(
                self.executor, score_records, kind, items, scorer, self.watchlist
            )
            self.metrics.inference_seconds.labels(kind).observe(time.perf_counter() - started)
            self.metrics.batch_size.labels(kind).observe(len(items))
            rejects += [
                DeadLetter("unscorable", why, ref, payloads[ref]) for ref, why in outcome.failed
            ]
            pending += await self._publish(kind, outcome, events)
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
        await asyncio.gather(*pending)
        if rejects:
            self.metrics.dead_letters.labels(kind).inc(len(rejects))

    async def _send(
        self, topic: str, key: bytes | None, value: bytes, partition: int | None = None
    ) -> Any:
        """Hand one record straight to the producer; returns its broker-ack future.

        The hot outputs (scored events, contributions, changelog) skip faust's per-message
        channel and sensor machinery, which cost more than the send itself here; like
        ``force=True`` sends, they leave at once and are awaited before the batch is acked.
        """
        return await self.app.producer.send(topic, key, value, partition, None, None)

    async def _publish(self, kind: str, outcome: ScoreOutcome, events: Sequence[Any]) -> list[Any]:
        partitions = self.settings.kafka.topics.partitions
        grouped: dict[int, list[list[Any]]] = defaultdict(list)
        per_topic: Counter[str] = Counter()
        pending = []
        scored_topic = self.topics.scored.get_topic_name()
        for scored in outcome.scored:
            pending.append(
                await self._send(scored_topic, scored.id.encode(), orjson.dumps(scored.to_wire()))
            )
            self.metrics.scored.labels(kind, scored.label).inc()
            for c in contributions_of(scored):
                grouped[partition_for(c.key, partitions)].append(c.to_wire())
                per_topic[self.labels.label(c.key)] += 1
        for topic, n in per_topic.items():
            self.metrics.topic_records.labels(kind, topic).inc(n)
        # Every windows partition hears of every batch, with the source offsets it covered:
        # the windows remember them as ranges (see ``stages.offsets``).
        covered: dict[str, list[int]] = defaultdict(list)
        for event in events:
            covered[f"{event.message.topic}[{event.message.partition}]"].append(
                event.message.offset
            )
        runs_by_source = {source: runs(offsets) for source, offsets in covered.items()}
        contributions_topic = self.topics.contributions.get_topic_name()
        for partition in range(partitions):
            body = orjson.dumps({"c": grouped.get(partition, []), "r": runs_by_source})
            pending.append(await self._send(contributions_topic, None, body, partition))
        sent = time.time()
        for event in events:
            stamp = getattr(event.message, "timestamp", None)
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
            pending.append(await self._send(changelog, kb, value, partition_of[key]))
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
