"""The windows handler without faust: state per key, one changelog write each, alerts out."""

from __future__ import annotations

import asyncio

import orjson
from prometheus_client import CollectorRegistry

from exporters.metrics import Metrics, SubjectLabels
from stream.pipeline.alerts import AlertRule
from stream.pipeline.batch import WindowStep
from stream.pipeline.windows import Contribution, KeyState, WindowSpec
from stream.worker.windows import ChangelogSync, WindowsHandler, WindowTopics

from .fakes import RecordingSender

T0 = 1_700_000_040
DROP = AlertRule(
    "drop", "level", "news", "mean_score", fire=-0.5, clear=0.0, min_count=3, direction="below"
)


def _message(key: str, offsets: range, score: float = -0.9) -> bytes:
    contributions = [
        Contribution(key, "news", f"id{o}", T0 + o, 0, score, 0.0, "news[0]", o).to_wire()
        for o in offsets
    ]
    return orjson.dumps({"c": contributions, "r": {"news[0]": [[offsets[0], offsets[-1]]]}})


def _handler(table: dict[bytes, bytes], sender: RecordingSender, synced: list[int]):
    async def read(partition: int) -> int:
        synced.append(partition)
        return 0

    handler = WindowsHandler(
        WindowStep(WindowSpec(60, 300, 3600), (DROP,)),
        table,
        ChangelogSync(read),
        sender,
        WindowTopics("changelog", "alerts"),
        Metrics.create(CollectorRegistry()),
        SubjectLabels(["ticker:JPM"], 10),
    )
    return handler


def test_contributions_update_state_changelog_and_alerts_once_even_when_redelivered():
    table: dict[bytes, bytes] = {}
    sender, synced = RecordingSender(), []
    handler = _handler(table, sender, synced)
    batch = [(2, _message("ticker:JPM", range(0, 4))), (1, _message("ticker:MSFT", range(4, 5)))]
    asyncio.run(handler.handle(batch))
    state = KeyState.from_dict(orjson.loads(table[b"ticker:JPM"]))
    assert sum(p.count for p in state.panes.values()) == 4
    changelog = sender.to("changelog")
    assert sorted((k, p) for k, _, p in changelog) == [(b"ticker:JPM", 2), (b"ticker:MSFT", 1)]
    alerts = [orjson.loads(v) for _, v, _ in sender.to("alerts")]
    assert [(a["rule"], a["state"], a["topic"]) for a in alerts] == [
        ("drop", "firing", "ticker:JPM")
    ]
    assert sorted(synced) == [1, 2]  # each partition caught up once

    sender.sent.clear()
    asyncio.run(handler.handle(batch))  # redelivered: nothing changes, nothing is written
    assert sender.sent == []
    assert sorted(synced) == [1, 2]


def test_a_rebalance_makes_every_partition_catch_up_again():
    synced: list[int] = []

    async def read(partition: int) -> int:
        synced.append(partition)
        return 3

    async def main() -> None:
        sync = ChangelogSync(read)
        await sync.ensure(0)
        await sync.ensure(0)
        sync.reset()
        await sync.ensure(0)

    asyncio.run(main())
    assert synced == [0, 0]


def test_keys_silent_past_the_retention_are_evicted_with_a_tombstone():
    table: dict[bytes, bytes] = {}
    sender = RecordingSender()
    handler = _handler(table, sender, [])
    early = [(0, _message(f"account:a{i}", range(i, i + 1), score=0.1)) for i in range(50)]
    asyncio.run(handler.handle(early))
    assert len(table) == 50
    # two hours later in the same windows partition: the accounts seen once fell silent
    late = Contribution("account:new", "news", "x", T0 + 7200, 1, 0.1, 0.0, "news[0]", 999)
    body = orjson.dumps({"c": [late.to_wire()], "r": {"news[0]": [[999, 999]]}})
    sender.sent.clear()
    asyncio.run(handler.handle([(0, body)]))
    assert set(table) == {b"account:new"}
    tombstones = [(k, p) for k, v, p in sender.to("changelog") if v is None]
    assert len(tombstones) == 50 and all(p == 0 for _, p in tombstones)
    assert handler._dormancy.expired(0) == []  # told once


def test_dormancy_keeps_keys_that_were_touched_again():
    from stream.worker.windows import Dormancy

    dormant = Dormancy(retention_s=100)
    dormant.touched(0, b"a", 10.0)
    dormant.touched(0, b"b", 10.0)
    dormant.touched(0, b"a", 150.0)  # a is active again
    dormant.touched(0, b"c", 200.0)
    assert dormant.expired(0) == [b"b"] and len(dormant) == 2
    dormant.touched(1, b"z", 0.0)  # another partition has its own event time
    assert dormant.expired(1) == []
