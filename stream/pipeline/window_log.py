"""Window state as changelog records: one record per pane.

A subject key's state is written as one record per pane that changed, keyed
``<subject key>@<pane start>``, so a write costs what changed (usually the current pane)
instead of the whole key. Each pane's record holds its counts, its newest event time, its
kind and the source offsets applied to it (``Pane.applied``), so every record is
self-consistent on its own: a crash between two records of one batch leaves each pane either
with or without its records, and the redelivered ones are applied to the panes that lack
them. The key's newest pane also carries the alert rules' state (firing, last change); a batch
that changes an alert writes the newest pane with it. A pane that falls out of the retention
and a key that is evicted are tombstones (``None``).

Values are JSON lists; a JSON object is a whole-key state of an earlier version (read as it
was, and replaced by pane records on the key's next write).
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from stream.pipeline.windows import KeyState, Pane

__all__ = [
    "Restored",
    "Strings",
    "pack_state",
    "pane_key",
    "pane_records",
    "restore",
    "tombstones",
    "unpack_state",
]

SEPARATOR = "@"
_KIND, _ALERTS = 9, 10  # fields after the pane's own (``Pane.to_wire``)


def pane_key(key: str, start: int) -> bytes:
    return f"{key}{SEPARATOR}{start}".encode()


def _alerts_wire(alerts: dict[str, dict[str, Any]]) -> dict[str, list[Any]]:
    """Only rules that ever changed (a rule never fired reads as its default)."""
    return {
        rule: [int(bool(memo.get("firing"))), memo.get("changed")]
        for rule, memo in alerts.items()
        if memo.get("changed") is not None or memo.get("firing")
    }


def pane_records(
    key: str, state: KeyState, starts: Iterable[int]
) -> list[tuple[bytes, bytes | None]]:
    """The changelog records of ``starts``: the pane's value, or a tombstone where the pane is
    gone; the newest pane's value carries the key's alert state."""
    newest = max(state.panes, default=None)
    out: list[tuple[bytes, bytes | None]] = []
    for start in sorted(starts):
        pane = state.panes.get(start)
        if pane is None:
            out.append((pane_key(key, start), None))
            continue
        row = pane.to_wire()
        row.append(state.kind)
        if start == newest:
            row.append(_alerts_wire(state.alerts))
        out.append((pane_key(key, start), orjson.dumps(row)))
    return out


class Strings:
    """Small numbers for the few strings every packed state repeats (kinds, source names)."""

    def __init__(self) -> None:
        self._index: dict[str, int] = {}
        self._names: list[str] = []

    def number(self, name: str) -> int:
        found = self._index.get(name)
        if found is None:
            found = self._index[name] = len(self._names)
            self._names.append(name)
        return found

    def name(self, number: int) -> str:
        return self._names[number]


def pack_state(state: KeyState, strings: Strings) -> bytes:
    """A whole key state as one compact value (a quiet key held in memory, not a record):
    ``[kind, [[start, pane], ...](, alerts)]``, the panes in their record form with the kind
    and the source names as numbers of ``strings``."""
    panes = []
    for start, pane in state.panes.items():
        wire = pane.to_wire()
        wire[-1] = [[strings.number(source), ranges] for source, ranges in pane.applied.items()]
        panes.append([start, wire])
    packed_state: list[Any] = [strings.number(state.kind), panes]
    if alerts := _alerts_wire(state.alerts):
        packed_state.append(alerts)
    # orjson's bytes keep a buffer of ~4 kB whatever they hold: copy to their size
    return memoryview(orjson.dumps(packed_state)).tobytes()


def unpack_state(packed: bytes, strings: Strings) -> KeyState:
    kind, panes, *alerts = orjson.loads(packed)
    state = KeyState(strings.name(kind))
    for start, wire in panes:
        wire[-1] = {strings.name(source): ranges for source, ranges in wire[-1]}
        state.panes[start] = Pane.from_wire(wire, start)
    state.alerts = _alerts_of(alerts[0]) if alerts else {}
    state.max_ts = max((p.max_ts for p in state.panes.values()), default=-math.inf)
    return state


def _alerts_of(wire: dict[str, list[Any]]) -> dict[str, dict[str, Any]]:
    return {
        rule: {"firing": bool(firing), "changed": changed}
        for rule, (firing, changed) in wire.items()
    }


def tombstones(key: str, starts: Collection[int]) -> list[tuple[bytes, bytes | None]]:
    return [(pane_key(key, start), None) for start in sorted(starts)]


@dataclass(slots=True)
class Restored:
    """States rebuilt from a changelog partition; ``legacy``: keys whose state came in the
    earlier whole-key form (its record is replaced on the key's next write)."""

    states: dict[str, KeyState] = field(default_factory=dict)
    legacy: set[str] = field(default_factory=set)
    unreadable: int = 0


def restore(records: Mapping[bytes, bytes]) -> Restored:
    """Rebuild every key's state from the latest record of each changelog key."""
    out = Restored()
    newest: dict[str, tuple[int, Any]] = {}  # key -> (start, alerts) of its newest pane
    for raw_key, raw_value in records.items():
        try:
            value = orjson.loads(raw_value)
            text = raw_key.decode()
            if isinstance(value, dict):  # an earlier version's whole-key state
                _merge_legacy(out, text, KeyState.from_dict(value))
                continue
            key, _, start_text = text.rpartition(SEPARATOR)
            start = int(start_text)
            pane = Pane.from_wire(value, start)
        except (ValueError, TypeError, IndexError, KeyError, AttributeError):
            out.unreadable += 1
            continue
        state = out.states.setdefault(key, KeyState())
        state.panes[start] = pane
        state.kind = str(value[_KIND]) if len(value) > _KIND else state.kind
        if pane.max_ts > state.max_ts:
            state.max_ts = pane.max_ts
        if start >= newest.get(key, (-math.inf, None))[0]:
            newest[key] = (start, value[_ALERTS] if len(value) > _ALERTS else None)
    for key, (_, alerts) in newest.items():
        if isinstance(alerts, dict):
            out.states[key].alerts = _alerts_of(alerts)
    return out


def _merge_legacy(out: Restored, key: str, old: KeyState) -> None:
    """Pane records written since win over the whole-key state's panes."""
    out.legacy.add(key)
    state = out.states.setdefault(key, KeyState())
    for start, pane in old.panes.items():
        state.panes.setdefault(start, pane)
    state.kind = state.kind or old.kind
    state.max_ts = max(state.max_ts, old.max_ts)
    state.alerts = state.alerts or old.alerts
