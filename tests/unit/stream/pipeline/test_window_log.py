"""Window state as one changelog record per pane, and rebuilt from them."""

from __future__ import annotations

import random

import orjson

from stream.pipeline.alerts import AlertRule, apply_and_evaluate
from stream.pipeline.contributions import Contribution
from stream.pipeline.window_log import (
    Strings,
    pack_state,
    pane_key,
    pane_records,
    restore,
    tombstones,
    unpack_state,
)
from stream.pipeline.windows import KeyState, WindowSpec

T0 = 1_700_000_040
DROP = AlertRule(
    "drop", "level", "news", "mean_score", fire=-0.5, clear=0.0, min_count=3, direction="below"
)


def _state(n: int = 200, seed: int = 1) -> KeyState:
    rng = random.Random(seed)
    contributions = [
        Contribution(
            "ticker:X",
            "news",
            f"id{i}",
            T0 + 6 * i,
            rng.randrange(3),
            rng.uniform(-1, -0.6),
            0.0,
            f"news[{i % 2}]",
            i,
            rng.uniform(0.2, 1),
            rng.random() < 0.7,
        )
        for i in range(n)
    ]
    state = KeyState()
    apply_and_evaluate("ticker:X", state, contributions, (DROP,), WindowSpec(60, 300, 3600))
    return state


def test_every_pane_written_and_read_back_is_the_same_state():
    state = _state()
    assert state.alerts["drop"]["firing"] is True
    records = dict(pane_records("ticker:X", state, state.panes))
    assert len(records) == len(state.panes) and all(b"@" in k for k in records)
    back = restore(records).states["ticker:X"]
    assert back.panes == state.panes
    assert (back.kind, back.max_ts, back.alerts) == (state.kind, state.max_ts, state.alerts)


def test_only_the_newest_pane_carries_the_alert_state():
    state = _state()
    newest = max(state.panes)
    records = dict(pane_records("ticker:X", state, state.panes))
    with_alerts = [k for k, v in records.items() if len(orjson.loads(v)) > 10]
    assert with_alerts == [pane_key("ticker:X", newest)]
    # a record of an older pane read after the newest one changes nothing about the alerts
    older = {
        pane_key("ticker:X", min(state.panes)): records[pane_key("ticker:X", min(state.panes))]
    }
    assert (
        restore({**older, pane_key("ticker:X", newest): records[pane_key("ticker:X", newest)]})
        .states["ticker:X"]
        .alerts
        == state.alerts
    )


def test_a_pane_record_costs_what_the_pane_holds():
    state = _state()
    sizes = [len(k) + len(v) for k, v in pane_records("ticker:X", state, state.panes) if v]
    assert max(sizes) < 400  # ten records, five ids of evidence, two sources, the alerts


def test_tombstones_remove_panes_and_unreadable_records_are_counted_not_raised():
    state = _state()
    records: dict[bytes, bytes | None] = dict(pane_records("ticker:X", state, state.panes))
    gone = sorted(state.panes)[:3]
    for key, value in tombstones("ticker:X", gone):
        assert value is None
        records.pop(key)
    records[b"ticker:Y@notanumber"] = b"[1]"
    records[b"ticker:Z@1"] = b"{not json"
    restored = restore({k: v for k, v in records.items() if v is not None})
    assert restored.unreadable == 2
    assert set(restored.states["ticker:X"].panes) == set(state.panes) - set(gone)


def test_a_subject_key_with_the_separator_in_it_still_reads():
    state = _state(20)
    records = dict(pane_records("merchant:shop@home", state, state.panes))
    assert restore(records).states["merchant:shop@home"].panes == state.panes


def test_a_packed_state_unpacks_to_the_same_state_and_is_small():
    state, strings = _state(), Strings()
    back = unpack_state(pack_state(state, strings), strings)
    assert back.panes == state.panes
    assert (back.kind, back.max_ts, back.alerts) == (state.kind, state.max_ts, state.alerts)
    one = _state(n=1)  # a key seen once: what most packed keys are
    assert one.alerts == {"drop": {"firing": False, "changed": None}}  # never changed
    packed = pack_state(one, strings)
    assert len(packed) < 120 and b"news" not in packed  # kind and sources are numbers
    assert unpack_state(packed, strings).panes == one.panes
    assert unpack_state(pack_state(KeyState(), strings), strings).panes == {}
