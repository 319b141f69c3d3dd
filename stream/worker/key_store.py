"""One windows partition's subject states: recent keys decoded, quiet keys packed.

A worker meets many keys that appear once or twice (accounts, merchants) and few that stay
busy (tickers, sectors). A decoded key state costs about 1.8 kB, so a million accounts over
two hours of event time — half of them inside the one-hour retention — would hold ~900 MB.
Here a key whose newest record is more than ``pack_after_s`` older than the partition's
newest event time is packed (``window_log.pack_state``, ~80 bytes for an account seen once)
into the partition's ``PackedKeys`` (``stream.worker.packed_keys``: blobs by the pane of the
key's newest record, one sorted hash index; ~130 bytes an account with its key) and decoded
again when it is next touched. The keys that fell out of the retention are whole blobs:
dropped without looking at the keys that stay. Hot keys are looked over once each time the
partition's event time enters a new pane.

A key is evicted once its newest record is older than the partition's newest by more than
the retention (rounded to the pane): no rule or gauge reads a pane that old.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

from stream.pipeline.window_log import Strings, pack_state, unpack_state
from stream.pipeline.windows import KeyState
from stream.worker.packed_keys import MAX_KEY_BYTES, PackedKeys

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
        self._packed = PackedKeys()
        self._strings = Strings()
        self.newest = -math.inf  # the partition's newest event time
        self._maintained_at: int | None = None  # the pane ``maintain`` last ran in

    def get(self, key: str) -> KeyState | None:
        """The key's state (a packed one is decoded and hot again), or None."""
        state = self.hot.get(key)
        if state is not None:
            return state
        packed = self._packed.take(key.encode())
        if packed is None:
            return None
        state = self.hot[key] = unpack_state(packed, self._strings)
        return state

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
        by_pane: dict[int, list[tuple[bytes, bytes]]] = {}
        for key in [k for k, s in self.hot.items() if s.max_ts < quiet]:
            raw = key.encode()
            if len(raw) > MAX_KEY_BYTES:
                continue  # stays decoded
            state = self.hot.pop(key)
            by_pane.setdefault(self._pane(state.max_ts), []).append(
                (raw, pack_state(state, self._strings))
            )
        for start, items in sorted(by_pane.items()):
            self._packed.add(start, items)
        # a pane [s, s + pane) is past the retention once s + pane <= horizon
        horizon = self.newest - self._retention_s
        evicted = [
            Evicted(raw.decode(), sorted(unpack_state(packed, self._strings).panes))
            for raw, packed in self._packed.evict(math.floor(horizon - self._pane_s) + 1)
        ]
        self._packed.compact()
        return evicted

    def _pane(self, ts: float) -> int:
        return int(ts // self._pane_s) * self._pane_s

    @property
    def packed(self) -> int:
        return len(self._packed)

    @property
    def packed_bytes(self) -> int:
        """The packed keys' and states' bytes (what ``finsentry_window_packed_bytes`` reports)."""
        return self._packed.bytes

    def __len__(self) -> int:
        return len(self.hot) + self.packed

    def __iter__(self) -> Iterator[str]:
        """Every key, hot and packed."""
        yield from list(self.hot)
        yield from (raw.decode() for raw in self._packed)
