"""Analysts' corrections: ``{id, kind, label, by, at, note?}`` on the feedback topic.

``parse_feedback`` validates one (the worker dead-letters the bad ones, with the reason);
``join_feedback`` pairs the corrections with the records they correct — the scored event
(what the model said, and which version) and the model text of its input record, rebuilt by
the same parse stage the worker ran (so accounts stay hashed, digit runs masked) — into
labelled training rows (``finsentry feedback export``; ``finsentry train --feedback``).
The latest correction of a record wins (by ``at``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from models.text import mask_digits
from stream.pipeline.kinds import KINDS
from stream.pipeline.parse import ParseContext, Rejected, _Invalid, _load, _str, _timestamp

__all__ = ["FEEDBACK_REASONS", "Feedback", "join_feedback", "latest", "parse_feedback"]

FEEDBACK_REASONS = ("bad_kind", "bad_label")  # beyond the parse reasons
_ALIASES = {"transactions": "transaction", "tx": "transaction"}
_LABELS = {"low_risk": "low", "medium_risk": "medium", "high_risk": "high"}


@dataclass(frozen=True, slots=True)
class Feedback:
    id: str  # the corrected record's id
    kind: str  # news | transaction
    label: str  # in the kind's classes
    by: str
    at: datetime
    note: str | None = None

    def to_wire(self) -> dict[str, Any]:
        wire = {"id": self.id, "kind": self.kind, "label": self.label, "by": self.by,
                "at": self.at.isoformat()}  # fmt: skip
        return wire | ({"note": self.note} if self.note else {})


def parse_feedback(payload: bytes, ctx: ParseContext) -> Feedback | Rejected:
    try:
        data = _load(payload, ctx.limits)
        record_id = _str(data, "id") or ""
        kind = (_str(data, "kind") or "").lower()
        kind = _ALIASES.get(kind, kind)
        if kind not in KINDS:
            return Rejected("bad_kind", f"kind {kind[:40]!r} is not one of {sorted(KINDS)}")
        label = (_str(data, "label") or "").lower()
        label = _LABELS.get(label, label)
        classes = KINDS[kind].classes
        if label not in classes:
            return Rejected("bad_label", f"label {label[:40]!r} is not a {kind} class {classes}")
        note = _str(data, "note", required=False)
        return Feedback(
            record_id[:200],
            kind,
            label,
            mask_digits(_str(data, "by") or "")[:100],
            _timestamp(data, "at", ctx.now, ctx.limits.max_future_skew_s),
            mask_digits(note)[:2000] if note else None,
        )
    except _Invalid as bad:
        return Rejected(bad.reason, bad.detail)


def latest(corrections: Iterable[Feedback]) -> dict[tuple[str, str], Feedback]:
    """The latest correction per (kind, id)."""
    out: dict[tuple[str, str], Feedback] = {}
    for c in corrections:
        key = (c.kind, c.id)
        if key not in out or c.at >= out[key].at:
            out[key] = c
    return out


def join_feedback(
    corrections: dict[tuple[str, str], Feedback],
    scored: dict[tuple[str, str], dict[str, Any]],  # (kind, id) -> scored event (wire)
    inputs: dict[str, bytes],  # scored event's "source" -> the input payload
    ctx: ParseContext,
) -> tuple[list[dict[str, Any]], list[tuple[Feedback, str]]]:
    """Labelled rows ``{id, kind, text, label, model_label, model_version, by, at, note}``,
    and the corrections that could not be joined, with why."""
    rows, missing = [], []
    for key, c in sorted(corrections.items()):
        event = scored.get(key)
        if event is None:
            missing.append((c, "no scored record with this id (older than the topic keeps?)"))
            continue
        raw = inputs.get(str(event.get("source", "")))
        if raw is None:
            missing.append((c, f"its input record {event.get('source')} is no longer there"))
            continue
        kind = KINDS[c.kind]
        record = kind.parse(raw, ctx)
        if isinstance(record, Rejected):
            missing.append((c, f"its input record no longer parses ({record.reason})"))
            continue
        rows.append(
            {
                "id": c.id,
                "kind": c.kind,
                "text": kind.model_text(record),
                "label": c.label,
                "model_label": event.get("label"),
                "model_version": event.get("model_version"),
                "by": c.by,
                "at": c.at.isoformat(),
                "note": c.note,
            }
        )
    return rows, missing
