"""The window side of the worker: contributions in, per-subject state, alerts out.

``WindowsHandler.handle`` decodes a batch of contributions messages, applies each subject
key's contributions with the shared window step (``stream.pipeline.batch.WindowStep``: windows
and alert rules), keeps the key's new state in the table and writes it to the changelog with
its applied source offsets in one write, and publishes the alert transitions to the alerts
topic (the outbox that alert delivery reads, ``stream.worker.alert_outbox``); every write is
acknowledged before the batch's offsets can be committed.
"""

from __future__ import annotations

import asyncio
import heapq
import logging
import math
from collections import defaultdict
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from exporters.metrics import Metrics, SubjectLabels
from stream.pipeline.batch import WindowStep, by_key
from stream.pipeline.offsets import Ranges, union
from stream.pipeline.windows import Contribution, KeyState
from stream.worker.inputs import Sender
from stream.worker.observe import export_windows

__all__ = ["ChangelogSync", "WindowTopics", "WindowsHandler"]

log = logging.getLogger(__name__)


class ChangelogSync:
    """Each windows partition is caught up with its changelog once per assignment (faust's own
    recovery can stop early on the embedded broker; see ``stream.kafka.changelog``)."""

    def __init__(self, read_partition: Callable[[int], Awaitable[int]]) -> None:
        self._read = read_partition
        self._synced: set[int] = set()

    def reset(self) -> None:
        """A rebalance: every partition is caught up again before its next use."""
        self._synced.clear()

    async def ensure(self, partition: int) -> None:
        if partition in self._synced:
            return
        read = await self._read(partition)
        log.info("windows[%d]: caught up with %d changelog records", partition, read)
        self._synced.add(partition)


class Dormancy:
    """Which subject keys fell silent: per windows partition, the newest event time seen, and
    a heap of each key's newest event time. A key whose newest record is older than the
    partition's newest by more than the retention holds no pane any rule or gauge can read:
    it is evicted (with a tombstone), so an account seen once does not stay in state forever.
    """

    def __init__(self, retention_s: float) -> None:
        self._retention = retention_s
        self._newest: dict[int, float] = {}
        self._heaps: dict[int, list[tuple[float, bytes]]] = defaultdict(list)
        self._latest: dict[bytes, float] = {}

    def touched(self, partition: int, key: bytes, max_ts: float) -> None:
        if self._latest.get(key) == max_ts:
            return
        self._latest[key] = max_ts
        heapq.heappush(self._heaps[partition], (max_ts, key))
        if max_ts > self._newest.get(partition, -math.inf):
            self._newest[partition] = max_ts

    def expired(self, partition: int) -> list[bytes]:
        """Keys of ``partition`` that fell out of the retention (forgotten here once told)."""
        heap, out = self._heaps[partition], []
        horizon = self._newest.get(partition, -math.inf) - self._retention
        while heap and heap[0][0] < horizon:
            max_ts, key = heapq.heappop(heap)
            if self._latest.get(key) == max_ts:  # not touched again since
                del self._latest[key]
                out.append(key)
        return out

    def __len__(self) -> int:
        return len(self._latest)


@dataclass(frozen=True, slots=True)
class WindowTopics:
    changelog: str
    alerts: str


class WindowsHandler:
    def __init__(
        self,
        step: WindowStep,
        table: MutableMapping[bytes, bytes],
        sync: ChangelogSync,
        sender: Sender,
        topics: WindowTopics,
        metrics: Metrics,
        labels: SubjectLabels,
    ) -> None:
        self._step = step
        self._table = table
        self._sync = sync
        self._sender = sender
        self._topics = topics
        self._metrics = metrics
        self._labels = labels
        self._dormancy = Dormancy(step.spec.retention_s)

    async def handle(self, messages: Sequence[tuple[int, bytes]]) -> None:
        """Apply ``(contributions partition, message value)`` pairs; returns once every write
        the batch caused is acknowledged."""
        contributions: list[Contribution] = []
        partition_of: dict[str, int] = {}
        covered: dict[int, dict[str, Ranges]] = defaultdict(dict)  # partition -> source ranges
        for partition, value in messages:
            body = orjson.loads(value)
            for raw in body["c"]:
                c = Contribution.from_wire(raw)
                contributions.append(c)
                partition_of[c.key] = partition
            seen = covered[partition]
            for source, ranges in body["r"].items():
                seen[source] = union(seen.get(source, []), ranges)
        for partition in set(partition_of.values()):
            await self._sync.ensure(partition)
        pending: list[Any] = []
        for key, mine in by_key(contributions).items():
            pending += await self._apply(key, mine, partition_of[key], covered[partition_of[key]])
        for partition in set(partition_of.values()):
            for kb in self._dormancy.expired(partition):
                self._table.pop(kb, None)
                pending.append(await self._sender.send(self._topics.changelog, kb, None, partition))
                self._metrics.keys_evicted.inc()
        await asyncio.gather(*pending)

    async def _apply(
        self,
        key: str,
        contributions: list[Contribution],
        partition: int,
        covered: dict[str, Ranges],
    ) -> list[Any]:
        kb = key.encode()
        stored = self._table.get(kb)
        state = KeyState.from_dict(orjson.loads(stored)) if stored else KeyState()
        result, alerts = self._step.apply(key, state, contributions, covered)
        self._metrics.duplicates.inc(result.duplicates)
        self._metrics.late.inc(result.late)
        if not result.applied and not result.late:
            return []
        value = orjson.dumps(state.to_dict())
        self._table[kb] = value
        self._dormancy.touched(partition, kb, state.max_ts)
        pending = [await self._sender.send(self._topics.changelog, kb, value, partition)]
        spec = self._step.spec
        export_windows(self._metrics, self._labels, key, state, spec.pane_s, spec.hop_s)
        for alert in alerts:
            self._metrics.alert_transitions.labels(alert.rule, alert.state).inc()
            self._metrics.alert_firing.labels(alert.rule, self._labels.label(key)).set(
                1 if alert.state == "firing" else 0
            )
            log.info("alert %s %s on %s (value %.3f)", alert.rule, alert.state, key, alert.value)
            wire = alert.to_wire()
            pending.append(await self._sender.send(self._topics.alerts, kb, orjson.dumps(wire)))
        return pending
