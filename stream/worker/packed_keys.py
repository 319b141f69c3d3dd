"""Quiet keys held packed: one index of key hashes over append-only blobs, by pane.

A Python ``dict[bytes, bytes]`` costs ~230 bytes a packed account (the key and the value as
two objects, the dict's entry, its spare room); a million accounts over two hours of event
time still took a worker from ~290 to ~500 MB. Here the keys packed together for one pane
(one call of ``add``) are one blob of ``[key length][state length][key][state]`` entries, and
every packed key of the partition is one row of three sorted numpy arrays: the key's 64-bit
hash, the blob it is in and its offset there (16 bytes and a liveness byte). A key costs its
bytes plus ~20; looking one up is one binary search whether it is there or not (most keys a
worker looks up are new accounts).

A key taken back (``take``) is only marked dead: its bytes stay in the blob until the blob's
pane is evicted (``evict``: whole blobs, the index rebuilt without them and without the dead
rows) or until ``compact`` rewrites a blob that is more than half dead. Blobs are allocated
whole and freed whole, so the allocator gets its memory back instead of a heap fragmented by
small objects.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np

__all__ = ["PackedKeys"]

_HEAD = struct.Struct("<HI")  # key length, state length
MAX_KEY_BYTES = 0xFFFF  # a longer key stays decoded (``add`` refuses it)


def _hash(key: bytes) -> int:
    return hash(key)  # 64-bit, per process: the index lives only in this process's memory


@dataclass(slots=True)
class _Blob:
    pane: int
    data: bytes
    live: int  # entries not taken back
    live_bytes: int


class PackedKeys:
    """The packed keys of one windows partition."""

    def __init__(self) -> None:
        self._hashes = np.empty(0, dtype=np.int64)  # sorted
        self._blob_ids = np.empty(0, dtype=np.uint32)
        self._offsets = np.empty(0, dtype=np.uint32)
        self._live = np.empty(0, dtype=bool)
        self._blobs: dict[int, _Blob] = {}
        self._next_id = 0
        # read by the metrics collector from another thread: plain ints, updated in place
        self.count = 0
        self.bytes = 0  # the live entries' key and state bytes

    def add(self, pane: int, items: Iterable[tuple[bytes, bytes]]) -> None:
        """Pack ``(key, state)`` pairs of keys whose newest record is in ``pane``."""
        parts: list[bytes] = []
        offsets: list[int] = []
        hashes: list[int] = []
        at = 0
        for key, state in items:
            if len(key) > MAX_KEY_BYTES:
                msg = f"a key of {len(key)} bytes cannot be packed"
                raise ValueError(msg)
            offsets.append(at)
            hashes.append(_hash(key))
            parts += (_HEAD.pack(len(key), len(state)), key, state)
            at += _HEAD.size + len(key) + len(state)
        if not offsets:
            return
        if at > 0xFFFFFFFF:
            msg = "a blob of more than 4 GiB"
            raise ValueError(msg)
        blob_id, self._next_id = self._next_id, self._next_id + 1
        data = b"".join(parts)
        payload = at - _HEAD.size * len(offsets)
        self._blobs[blob_id] = _Blob(pane, data, len(offsets), payload)
        new = np.array(hashes, dtype=np.int64)
        order = np.argsort(new, kind="stable")
        new = new[order]
        where = np.searchsorted(self._hashes, new)
        self._hashes = np.insert(self._hashes, where, new)
        self._blob_ids = np.insert(self._blob_ids, where, blob_id)
        self._offsets = np.insert(self._offsets, where, np.array(offsets, dtype=np.uint32)[order])
        self._live = np.insert(self._live, where, True)
        self.count += len(offsets)
        self.bytes += payload

    def take(self, key: bytes) -> bytes | None:
        """The key's packed state, removed from here; None if it is not packed."""
        h = _hash(key)
        i = int(np.searchsorted(self._hashes, h))
        n = len(self._hashes)
        while i < n and self._hashes[i] == h:
            if self._live[i]:
                blob = self._blobs[int(self._blob_ids[i])]
                found, state = _entry(blob.data, int(self._offsets[i]))
                if found == key:
                    self._live[i] = False
                    blob.live -= 1
                    blob.live_bytes -= len(key) + len(state)
                    self.count -= 1
                    self.bytes -= len(key) + len(state)
                    return state
            i += 1
        return None

    def evict(self, before: float) -> list[tuple[bytes, bytes]]:
        """Remove every blob of a pane earlier than ``before``; its live ``(key, state)``
        pairs."""
        return self._remove([i for i, blob in self._blobs.items() if blob.pane < before])

    def compact(self, min_live: float = 0.5) -> int:
        """Rewrite the blobs whose live bytes fell under ``min_live`` of their size (keys taken
        back leave their bytes behind); how many were rewritten. Dead bytes stay bounded by
        the live ones."""
        sparse = [
            i for i, blob in self._blobs.items() if blob.live_bytes < min_live * len(blob.data)
        ]
        panes = {i: self._blobs[i].pane for i in sparse}
        for blob_id in sparse:
            self.add(panes[blob_id], self._remove([blob_id]))
        return len(sparse)

    def _remove(self, blob_ids: list[int]) -> list[tuple[bytes, bytes]]:
        if not blob_ids:
            return []
        out: list[tuple[bytes, bytes]] = []
        gone = np.isin(self._blob_ids, np.array(blob_ids, dtype=np.uint32))
        rows = gone & self._live
        for blob_id, offset in zip(
            self._blob_ids[rows].tolist(), self._offsets[rows].tolist(), strict=True
        ):
            out.append(_entry(self._blobs[blob_id].data, offset))
        keep = self._live & ~gone
        self._hashes = self._hashes[keep]
        self._blob_ids = self._blob_ids[keep]
        self._offsets = self._offsets[keep]
        self._live = self._live[keep]
        for blob_id in blob_ids:
            blob = self._blobs.pop(blob_id)
            self.count -= blob.live
            self.bytes -= blob.live_bytes
        return out

    def __iter__(self) -> Iterator[bytes]:
        for blob_id, offset in zip(
            self._blob_ids[self._live].tolist(), self._offsets[self._live].tolist(), strict=True
        ):
            yield _entry(self._blobs[blob_id].data, offset)[0]

    def __len__(self) -> int:
        return self.count

    @property
    def held_bytes(self) -> int:
        """What the blobs and the index take, dead entries included."""
        index = self._hashes.nbytes + self._blob_ids.nbytes + self._offsets.nbytes
        return index + self._live.nbytes + sum(len(b.data) for b in self._blobs.values())


def _entry(data: bytes, offset: int) -> tuple[bytes, bytes]:
    key_len, state_len = _HEAD.unpack_from(data, offset)
    start = offset + _HEAD.size
    return data[start : start + key_len], data[start + key_len : start + key_len + state_len]
