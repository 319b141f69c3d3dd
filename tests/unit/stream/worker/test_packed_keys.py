"""Packed keys: found by one search, taken back once, evicted and compacted by whole blobs."""

from __future__ import annotations

import pytest

from stream.worker import packed_keys
from stream.worker.packed_keys import PackedKeys


def _items(prefix: str, n: int) -> list[tuple[bytes, bytes]]:
    return [
        (f"{prefix}{i}".encode(), f"state of {prefix}{i}".encode() * (i % 3 + 1)) for i in range(n)
    ]


def test_every_added_key_is_found_once_and_a_new_key_is_not():
    packed = PackedKeys()
    first, second = _items("account:a", 500), _items("account:b", 300)
    packed.add(60, first)
    packed.add(120, second)
    assert len(packed) == 800
    assert packed.bytes == sum(len(k) + len(v) for k, v in first + second)
    assert set(packed) == {k for k, _ in first + second}
    for key, state in [*second[::7], *first[::5]]:
        assert packed.take(key) == state
        assert packed.take(key) is None  # taken back: gone
    assert packed.take(b"account:new") is None
    assert len(packed) == 800 - len(second[::7]) - len(first[::5])


def test_colliding_hashes_are_told_apart_by_the_key(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(packed_keys, "_hash", lambda key: 42)
    packed = PackedKeys()
    packed.add(0, [(b"x", b"1"), (b"y", b"2")])
    packed.add(60, [(b"z", b"3")])
    assert packed.take(b"z") == b"3" and packed.take(b"x") == b"1"
    assert packed.take(b"w") is None and packed.take(b"x") is None
    assert list(packed) == [b"y"]


def test_eviction_drops_whole_panes_and_returns_only_live_keys():
    packed = PackedKeys()
    packed.add(0, [(b"a", b"1"), (b"b", b"2")])
    packed.add(60, [(b"c", b"3")])
    packed.add(120, [(b"d", b"4")])
    assert packed.take(b"b") == b"2"
    assert sorted(packed.evict(before=120)) == [(b"a", b"1"), (b"c", b"3")]
    assert list(packed) == [b"d"] and len(packed) == 1 and packed.bytes == 2
    assert packed.evict(before=120) == []
    assert packed.take(b"a") is None and packed.take(b"d") == b"4"


def test_compaction_rewrites_blobs_mostly_taken_back_and_frees_empty_ones():
    packed = PackedKeys()
    items = _items("k", 10)
    packed.add(0, items)
    packed.add(60, [(b"gone", b"x" * 50)])
    for key, _ in items[:8]:
        packed.take(key)
    packed.take(b"gone")
    held = packed.held_bytes
    assert packed.compact() == 2
    assert packed.held_bytes < held / 3
    assert sorted(packed) == sorted(k for k, _ in items[8:])
    assert packed.take(items[9][0]) == items[9][1]
    assert [k for k, _ in packed.evict(before=60)] == [items[8][0]]  # still in its own pane
    assert packed.compact() == 0 and len(packed) == 0 and packed.bytes == 0


def test_a_key_too_long_to_pack_is_refused():
    with pytest.raises(ValueError, match="cannot be packed"):
        PackedKeys().add(0, [(b"k" * (packed_keys.MAX_KEY_BYTES + 1), b"")])
