"""One windows partition's subject states: recent keys decoded, quiet keys packed.

A worker meets many keys that appear once or twice (accounts, merchants) and few that stay
busy (tickers, sectors). A decoded key state costs about 1.8 kB, so a million accounts over
two hours of event time — half of them inside the one-hour retention — would hold ~900 MB.
Here a key whose newest record is more than ``pack_after_s`` older than the partition's
newest event time is packed into one bytes value (``window_log.pack_state``, ~110 bytes for
an account seen once) and decoded again when it is next touched. Packed keys sit in buckets by
the pane of their newest record, so the keys that fell out of the retention are whole
buckets: dropped without looking at the keys that stay. Hot keys are looked over once each
time the partition's event time enters a new pane.

A key is evicted once its newest record is older than the partition's newest by more than
the retention (rounded to the pane): no rule or gauge reads a pane that old.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

from stream.pipeline.window_log import Strings, pack_state, unpack_state
from stream.pipeline.windows import KeyState

__all__ = ["Evicted", "PartitionKeys"]


@dataclass(frozen=True, slots=True)
class Evicted:
    key: str
    panes: list[int]  # the starts of the panes it held (each needs a tombstone)


class PartitionKeys:
    """The subject states of one windows partition."""

    def __init__(self, pane_s: int, retention_s: int, pack_after_s: int) -> None:
        self._pane_s = pane_s
        self._retention_s = retention_s
        self._pack_after_s = min(pack_after_s, retention_s)
        self.hot: dict[str, KeyState] = {}
        # pane of the newest record -> key (as bytes: 16 bytes less than a str) -> state
        self._packed: dict[int, dict[bytes, bytes]] = {}
        self._strings = Strings()
        self.newest = -math.inf  # the partition's newest event time
        self._maintained_at: int | None = None  # the pane ``maintain`` last ran in

    def get(self, key: str) -> KeyState | None:
        """The key's state (a packed one is decoded and hot again), or None."""
        state = self.hot.get(key)
        if state is not None:
            return state
        raw = key.encode()
        for bucket in reversed(self._packed.values()):  # the most recently packed first
            packed = bucket.pop(raw, None)
            if packed is not None:
                state = self.hot[key] = unpack_state(packed, self._strings)
                return state
        return None

    def put(self, key: str, state: KeyState) -> None:
        self.hot[key] = state
        if state.max_ts > self.newest:
            self.newest = state.max_ts

    def discard(self, key: str) -> None:
        self.hot.pop(key, None)

    def maintain(self, force: bool = False) -> list[Evicted]:
        """Pack the hot keys gone quiet and evict the keys past the retention; runs when the
        partition's event time entered a new pane since the last call (or ``force``)."""
        if self.newest == -math.inf:
            return []
        pane = self._pane(self.newest)
        if pane == self._maintained_at and not force:
            return []
        self._maintained_at = pane
        quiet = self.newest - self._pack_after_s
        for key in [k for k, s in self.hot.items() if s.max_ts < quiet]:
            state = self.hot.pop(key)
            bucket = self._packed.setdefault(self._pane(state.max_ts), {})
            bucket[key.encode()] = pack_state(state, self._strings)
        horizon = self.newest - self._retention_s
        evicted: list[Evicted] = []
        for start in [s for s in self._packed if s + self._pane_s <= horizon]:
            for raw, packed in self._packed.pop(start).items():
                panes = unpack_state(packed, self._strings).panes
                evicted.append(Evicted(raw.decode(), sorted(panes)))
        return evicted

    def _pane(self, ts: float) -> int:
        return int(ts // self._pane_s) * self._pane_s

    @property
    def packed(self) -> int:
        return sum(len(bucket) for bucket in self._packed.values())

    def __len__(self) -> int:
        return len(self.hot) + self.packed

    def __iter__(self) -> Iterator[str]:
        """Every key, hot and packed."""
        yield from self.hot
        for bucket in self._packed.values():
            yield from (raw.decode() for raw in bucket)
