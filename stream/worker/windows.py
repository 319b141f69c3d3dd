"""The window side of the worker: contributions in, per-subject state, alerts out.

``WindowsHandler.handle`` decodes a batch of contributions messages, applies each subject
key's contributions with the shared window step (``stream.pipeline.batch.WindowStep``: windows
and alert rules) to the key's state in memory, writes each pane that changed to the changelog
as one record with its applied source offsets (``stream.pipeline.window_log``), and publishes
the alert transitions to the alerts topic (the outbox that alert delivery reads,
``stream.worker.alert_outbox``); every write is acknowledged before the batch's offsets can be
committed. States are rebuilt from the changelog the first time a windows partition is used
after an assignment. Per partition, keys gone quiet are held packed and keys silent past the
retention are evicted with a tombstone per pane (``stream.worker.key_store``).
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from exporters.metrics import Metrics, SubjectLabels
from stream.pipeline.batch import WindowStep, by_key
from stream.pipeline.contributions import Contribution
from stream.pipeline.offsets import Ranges, union
from stream.pipeline.window_log import pane_records, restore, tombstones
from stream.pipeline.windows import KeyState
from stream.worker.inputs import Sender
from stream.worker.key_store import PartitionKeys
from stream.worker.memory import Trimmer
from stream.worker.observe import export_windows

__all__ = ["ChangelogSync", "WindowTopics", "WindowsHandler"]

log = logging.getLogger(__name__)


Records = dict[bytes, bytes]


class ChangelogSync:
    """Each windows partition is caught up with its changelog once per assignment (faust's own
    recovery can stop early on the embedded broker; see ``stream.kafka.changelog``).

    ``read_partition(partition, into)`` loads the partition's latest record per key into
    ``into``; ``loaded`` (faust's table data, which the worker does not read) is cleared after
    each catch-up so that the records are not held twice.
    """

    def __init__(
        self,
        read_partition: Callable[[int, Records], Awaitable[int]],
        loaded: Callable[[], None] = lambda: None,
    ) -> None:
        self._read = read_partition
        self._loaded = loaded
        self._synced: set[int] = set()
        self.generation = 0  # how many rebalances: states older than this are stale

    def reset(self) -> None:
        """A rebalance: every partition is caught up again before its next use."""
        self._synced.clear()
        self.generation += 1

    async def ensure(self, partition: int) -> Records | None:
        """The partition's records if it was caught up now, else None (caught up before)."""
        if partition in self._synced:
            return None
        records: Records = {}
        read = await self._read(partition, records)
        self._loaded()
        log.info("windows[%d]: caught up with %d changelog records", partition, read)
        self._synced.add(partition)
        return records


@dataclass(frozen=True, slots=True)
class WindowTopics:
    changelog: str
    alerts: str


class WindowsHandler:
    def __init__(
        self,
        step: WindowStep,
        sync: ChangelogSync,
        sender: Sender,
        topics: WindowTopics,
        metrics: Metrics,
        labels: SubjectLabels,
        pack_after_s: int = 60,
    ) -> None:
        self._step = step
        self._pack_after_s = pack_after_s
        self._sync = sync
        self._sender = sender
        self._topics = topics
        self._metrics = metrics
        self._labels = labels
        self._generation = sync.generation
        self.states: dict[int, PartitionKeys] = {}  # windows partition -> its subject states
        # Per windows partition, the source offsets of every batch applied since its states
        # were loaded: each pane that changes is written with them (see ``apply_contributions``
        # ``covered``), so its applied set stays one range per source.
        self._processed: dict[int, dict[str, Ranges]] = {}
        self._legacy: set[str] = set()  # keys still in an earlier version's whole-key record
        self._trim = Trimmer()

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
        if self._sync.generation != self._generation:  # a rebalance: states are reloaded
            self._generation = self._sync.generation
            self.states.clear()
            self._processed.clear()
        for partition in set(covered) | set(partition_of.values()):
            await self._ensure(partition)
            processed = self._processed[partition]
            for source, ranges in covered[partition].items():
                processed[source] = union(processed.get(source, []), ranges)
        pending: list[Any] = []
        for key, mine in by_key(contributions).items():
            partition = partition_of[key]
            pending += await self._apply(key, mine, partition, self._processed[partition])
        evicted = 0
        for partition in set(partition_of.values()):
            for gone in self.states[partition].maintain():
                pending += await self._write(partition, gone.key, tombstones(gone.key, gone.panes))
                evicted += 1
        await asyncio.gather(*pending)
        if evicted:
            self._metrics.keys_evicted.inc(evicted)
            self._trim()  # evicted state is freed in bulk: give the pages back

    def held(self) -> list[tuple[tuple[str], float]]:
        """Keys in window state, ``(("hot",), n)`` and ``(("packed",), n)``, summed over the
        partitions (read by the metrics collector, from the scraping thread)."""
        states = list(self.states.values())
        return [
            (("hot",), float(sum(len(keys.hot) for keys in states))),
            (("packed",), float(sum(keys.packed for keys in states))),
        ]

    def packed_bytes(self) -> float:
        return float(sum(keys.packed_bytes for keys in list(self.states.values())))

    async def _ensure(self, partition: int) -> None:
        records = await self._sync.ensure(partition)
        if records is None and partition in self.states:
            return
        restored = restore(records or {})
        if restored.unreadable:
            log.warning(
                "windows[%d]: %d changelog records could not be read (skipped)",
                partition,
                restored.unreadable,
            )
        spec = self._step.spec
        keys = self.states[partition] = PartitionKeys(
            spec.pane_s, spec.retention_s, self._pack_after_s
        )
        for key, state in restored.states.items():
            keys.put(key, state)  # packed or evicted by the batch's ``maintain``
        self._processed[partition] = {}
        self._legacy |= restored.legacy

    async def _write(
        self, partition: int, key: str, records: list[tuple[bytes, bytes | None]]
    ) -> list[Any]:
        if key in self._legacy:  # replace the whole-key record of an earlier version
            self._legacy.discard(key)
            records = [*records, (key.encode(), None)]
        return [
            await self._sender.send(self._topics.changelog, kb, value, partition)
            for kb, value in records
        ]

    async def _apply(
        self,
        key: str,
        contributions: list[Contribution],
        partition: int,
        covered: dict[str, Ranges],
    ) -> list[Any]:
        kb = key.encode()
        keys = self.states[partition]
        state = keys.get(key) or KeyState()
        result, alerts = self._step.apply(key, state, contributions, covered)
        if state.panes:
            keys.put(key, state)
        else:
            keys.discard(key)  # only late records: nothing to keep
        self._metrics.duplicates.inc(result.duplicates)
        self._metrics.late.inc(result.late)
        starts = set(result.panes)
        if alerts and state.panes:  # the newest pane carries the alert state
            starts.add(max(state.panes))
        if key in self._legacy:
            starts |= state.panes.keys()
        if not starts:
            return []
        pending = await self._write(partition, key, pane_records(key, state, starts))
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
