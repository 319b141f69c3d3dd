"""Quiet keys packed, touched keys decoded again, keys past the retention evicted."""

from __future__ import annotations

from stream.pipeline.contributions import Contribution
from stream.pipeline.windows import KeyState, apply_contributions
from stream.worker.key_store import PartitionKeys

T0 = 1_700_000_040


def _state(key: str, *seconds: int) -> KeyState:
    state = KeyState()
    contributions = [
        Contribution(key, "transaction", f"{key}-{s}", T0 + s, 2, 0.9, 10.0, "tx[0]", s)
        for s in seconds
    ]
    apply_contributions(state, contributions, 60, 3600)
    state.alerts = {"risk_spike": {"firing": True, "changed": T0 + seconds[-1]}}
    return state


def test_a_quiet_key_is_packed_and_unpacked_unchanged():
    keys = PartitionKeys(60, 3600, pack_after_s=120)
    original = _state("account:a", 0, 5, 70)
    keys.put("account:a", original)
    keys.put("ticker:X", _state("ticker:X", 600))  # ten minutes on
    assert keys.maintain() == []
    assert keys.hot.keys() == {"ticker:X"} and keys.packed == 1 and len(keys) == 2
    assert set(keys) == {"ticker:X", "account:a"}
    back = keys.get("account:a")
    assert back is not None and back is not original
    assert back.panes == original.panes and back.alerts == original.alerts
    assert back.kind == original.kind and back.max_ts == original.max_ts
    assert keys.packed == 0 and "account:a" in keys.hot  # hot again once touched
    assert keys.get("account:none") is None


def test_keys_past_the_retention_are_evicted_once_with_their_panes():
    keys = PartitionKeys(60, 600, pack_after_s=120)
    keys.put("account:old", _state("account:old", 0, 65))
    keys.put("account:recent", _state("account:recent", 500))
    keys.put("ticker:X", _state("ticker:X", 700))
    assert keys.maintain() == []  # 700 - 600 = 100: account:old's newest (65) is in pane 60
    keys.put("ticker:X", _state("ticker:X", 790))
    gone = keys.maintain()  # horizon 190: the pane [60, 120) is past it
    assert [(g.key, g.panes) for g in gone] == [("account:old", [T0, T0 + 60])]
    assert keys.maintain() == [] and keys.maintain(force=True) == []
    assert set(keys) == {"account:recent", "ticker:X"}


def test_maintain_runs_once_per_pane_unless_forced():
    keys = PartitionKeys(60, 3600, pack_after_s=120)
    keys.put("account:a", _state("account:a", 0))
    keys.put("ticker:X", _state("ticker:X", 200))
    keys.maintain()
    keys.put("account:b", _state("account:b", 0))  # quiet already, same pane of event time
    keys.maintain()
    assert "account:b" in keys.hot
    keys.maintain(force=True)
    assert keys.hot.keys() == {"ticker:X"} and keys.packed == 2


def test_packing_never_outlives_the_retention():
    keys = PartitionKeys(60, 300, pack_after_s=10_000)  # clamped to the retention
    keys.put("account:a", _state("account:a", 0))
    keys.put("ticker:X", _state("ticker:X", 1000))
    assert [g.key for g in keys.maintain()] == ["account:a"]
    assert set(keys) == {"ticker:X"}


def test_a_key_too_long_to_pack_stays_decoded():
    keys = PartitionKeys(60, 3600, pack_after_s=60)
    long = "merchant:" + "x" * 70_000
    keys.put(long, _state(long, 0))
    keys.put("ticker:X", _state("ticker:X", 600))
    assert keys.maintain() == []
    assert long in keys.hot and keys.packed == 0
