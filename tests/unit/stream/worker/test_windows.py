"""The windows handler without faust: state per key, one changelog record per changed pane,
alerts out, states rebuilt from the changelog."""

from __future__ import annotations

import asyncio

import orjson
from prometheus_client import CollectorRegistry

from exporters.collectors import register_window_state
from exporters.metrics import Metrics, SubjectLabels
from stream.pipeline.alerts import AlertRule
from stream.pipeline.batch import WindowStep
from stream.pipeline.contributions import Contribution
from stream.pipeline.window_log import pane_key, restore
from stream.pipeline.windows import WindowSpec
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


def _handler(
    changelog: dict[bytes, bytes], sender: RecordingSender, synced: list[int]
) -> WindowsHandler:
    """A handler whose changelog partitions read back from ``changelog`` (every partition's
    records in one dict, as a test needs no more)."""

    async def read(partition: int, into: dict[bytes, bytes]) -> int:
        synced.append(partition)
        into.update(changelog)
        return len(changelog)

    handler = WindowsHandler(
        WindowStep(WindowSpec(60, 300, 3600), (DROP,)),
        ChangelogSync(read),
        sender,
        WindowTopics("changelog", "alerts"),
        Metrics.create(CollectorRegistry()),
        SubjectLabels(["ticker:JPM"], 10),
    )
    return handler


def _log(sender: RecordingSender) -> dict[bytes, bytes]:
    """The changelog as compaction leaves it (latest value per key, tombstones dropped)."""
    out: dict[bytes, bytes] = {}
    for key, value, _ in sender.to("changelog"):
        if value is None:
            out.pop(key, None)
        else:
            out[key] = value
    return out


def test_contributions_update_state_changelog_and_alerts_once_even_when_redelivered():
    sender, synced = RecordingSender(), []
    handler = _handler({}, sender, synced)
    batch = [(2, _message("ticker:JPM", range(0, 4))), (1, _message("ticker:MSFT", range(4, 5)))]
    asyncio.run(handler.handle(batch))
    state = handler.states[2].get("ticker:JPM")
    assert sum(p.count for p in state.panes.values()) == 4
    changelog = sender.to("changelog")
    assert sorted((k, p) for k, _, p in changelog) == [
        (pane_key("ticker:JPM", T0), 2),
        (pane_key("ticker:MSFT", T0), 1),
    ]
    restored = restore(_log(sender)).states  # what a restarted worker reads back
    assert restored["ticker:JPM"].panes == state.panes
    assert restored["ticker:JPM"].alerts["drop"]["firing"] is True
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

    async def read(partition: int, into: dict[bytes, bytes]) -> int:
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
    sender = RecordingSender()
    handler = _handler({}, sender, [])
    early = [(0, _message(f"account:a{i}", range(i, i + 1), score=0.1)) for i in range(50)]
    asyncio.run(handler.handle(early))
    assert len(handler.states[0]) == 50
    # two hours later in the same windows partition: the accounts seen once fell silent
    late = Contribution("account:new", "news", "x", T0 + 7200, 1, 0.1, 0.0, "news[0]", 999)
    body = orjson.dumps({"c": [late.to_wire()], "r": {"news[0]": [[999, 999]]}})
    sender.sent.clear()
    asyncio.run(handler.handle([(0, body)]))
    assert set(handler.states[0]) == {"account:new"}
    tombstones = [(k, p) for k, v, p in sender.to("changelog") if v is None]
    assert len(tombstones) == 50 and all(p == 0 for _, p in tombstones)
    assert {k for k, _ in tombstones} == {pane_key(f"account:a{i}", T0) for i in range(50)}
    sender.sent.clear()
    asyncio.run(handler.handle([(0, body)]))  # told once
    assert [v for _, v, _ in sender.to("changelog") if v is None] == []


def test_quiet_keys_are_packed_and_come_back_whole_when_touched_again():
    sender = RecordingSender()
    handler = _handler({}, sender, [])
    asyncio.run(handler.handle([(0, _message("ticker:JPM", range(0, 4)))]))
    before = handler.states[0].get("ticker:JPM")
    assert before is not None
    panes = {s: (p.count, p.classes, p.applied) for s, p in before.panes.items()}
    # ten minutes later another key is touched: JPM has been quiet past pack_after_s (60)
    asyncio.run(handler.handle([(0, _message("ticker:MSFT", range(600, 601)))]))
    keys = handler.states[0]
    assert "ticker:JPM" not in keys.hot and keys.packed == 1 and len(keys) == 2
    # JPM's records come again (a redelivery): skipped, the alert state kept, nothing written
    sender.sent.clear()
    asyncio.run(handler.handle([(0, _message("ticker:JPM", range(0, 4)))]))
    assert sender.sent == []
    again = keys.hot["ticker:JPM"]
    assert {s: (p.count, p.classes, p.applied) for s, p in again.panes.items()} == panes
    assert again.alerts["drop"]["firing"] is True and again.max_ts == before.max_ts


def test_the_window_state_gauges_count_hot_and_packed_keys_when_scraped():
    registry = CollectorRegistry()
    handler = _handler({}, RecordingSender(), [])
    register_window_state(registry, handler.held, handler.packed_bytes)
    asyncio.run(handler.handle([(0, _message("ticker:JPM", range(0, 4)))]))
    asyncio.run(handler.handle([(1, _message("ticker:MSFT", range(600, 601)))]))
    asyncio.run(handler.handle([(0, _message("ticker:AAPL", range(600, 601)))]))

    def gauge(state: str) -> float | None:
        return registry.get_sample_value("finsentry_window_keys", {"state": state})

    assert (gauge("hot"), gauge("packed")) == (2, 1)  # JPM packed in partition 0
    packed = registry.get_sample_value("finsentry_window_packed_bytes")
    assert packed is not None and len(b"ticker:JPM") < packed < 400
    asyncio.run(handler.handle([(0, _message("ticker:JPM", range(601, 602)))]))
    assert (gauge("hot"), gauge("packed")) == (3, 0)
    assert registry.get_sample_value("finsentry_window_packed_bytes") == 0


def test_a_batch_writes_only_the_panes_it_changed():
    sender = RecordingSender()
    handler = _handler({}, sender, [])
    for minute in range(30):  # a key with thirty panes of history
        offsets = range(minute * 100, minute * 100 + 3)
        body = [
            Contribution(
                "ticker:X", "news", f"i{o}", T0 + 60 * minute + 1, 1, 0.1, 0.0, "news[0]", o
            ).to_wire()
            for o in offsets
        ]
        covered = {"news[0]": [[minute * 100, minute * 100 + 99]]}  # others' records too
        message = orjson.dumps({"c": body, "r": covered})
        sender.sent.clear()
        asyncio.run(handler.handle([(0, message)]))
        written = sender.to("changelog")
        assert [k for k, _, _ in written] == [pane_key("ticker:X", T0 + 60 * minute)]
    value = orjson.loads(written[0][1])
    # the applied offsets of every batch since the state was loaded: one range, not thirty
    assert value[8] == {"news[0]": [[0, 2999]]}


def test_a_restarted_handler_rebuilds_states_from_the_changelog_and_skips_redeliveries():
    sender = RecordingSender()
    first = _handler({}, sender, [])
    batch = [(0, _message("ticker:JPM", range(0, 4))), (0, _message("ticker:JPM", range(70, 72)))]
    asyncio.run(first.handle(batch))
    again, synced = RecordingSender(), []
    second = _handler(_log(sender), again, synced)
    asyncio.run(second.handle(batch))  # redelivered after the restart
    assert synced == [0] and again.sent == []
    assert second.states[0].get("ticker:JPM").panes == first.states[0].get("ticker:JPM").panes


def test_a_whole_key_record_of_an_earlier_version_is_read_and_replaced():
    from stream.pipeline.windows import KeyState, apply_contributions

    old = KeyState()
    old_contributions = [
        Contribution("ticker:JPM", "news", f"o{i}", T0 + i, 1, 0.2, 0.0, "news[0]", i)
        for i in range(3)
    ]
    apply_contributions(old, old_contributions, 60, 3600)
    legacy = old.to_dict()
    legacy["applied"] = {"news[0]": [[0, 2]]}
    for pane in legacy["panes"].values():
        del pane[7:]  # the earlier pane form: no newest event time, no offsets
    sender = RecordingSender()
    handler = _handler({b"ticker:JPM": orjson.dumps(legacy)}, sender, [])
    asyncio.run(handler.handle([(0, _message("ticker:JPM", range(2, 5)))]))
    state = handler.states[0].get("ticker:JPM")
    assert state.panes[T0].count == 5  # 2 was applied before: skipped
    written = {k: v for k, v, _ in sender.to("changelog")}
    assert written[b"ticker:JPM"] is None and pane_key("ticker:JPM", T0) in written
    assert restore(_log(sender)).states["ticker:JPM"].panes[T0].count == 5
