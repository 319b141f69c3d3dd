"""A scored record's share of one subject key's windows: what the process side sends to the
windows side on the contributions topic (``to_wire`` / ``from_wire``), one per subject."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from stream.pipeline.kinds import kind_named
from stream.records import ScoredEvent

__all__ = ["Contribution", "contributions_of"]


@dataclass(frozen=True, slots=True)
class Contribution:
    """One record's share of one subject key's window."""

    key: str
    kind: str
    id: str
    ts: float  # event time, epoch seconds
    label: int  # index in the kind's classes (stream.pipeline.kinds)
    score: float
    amount_usd: float
    source: str  # "topic[partition]"
    offset: int
    relevance: float = 1.0  # of the record to this subject
    novel: bool = True  # a first story (not a repeat)

    def to_wire(self) -> list[Any]:
        return [
            self.key,
            self.kind,
            self.id,
            self.ts,
            self.label,
            self.score,
            self.amount_usd,
            self.source,
            self.offset,
            self.relevance,
            int(self.novel),
        ]

    @classmethod
    def from_wire(cls, raw: list[Any]) -> Contribution:
        """Also reads the 9-field form of earlier versions (relevance 1, novel)."""
        return cls(
            str(raw[0]),
            str(raw[1]),
            str(raw[2]),
            float(raw[3]),
            int(raw[4]),
            float(raw[5]),
            float(raw[6]),
            str(raw[7]),
            int(raw[8]),
            float(raw[9]) if len(raw) > 9 else 1.0,
            bool(raw[10]) if len(raw) > 10 else True,
        )


def contributions_of(event: ScoredEvent) -> list[Contribution]:
    """One contribution per subject of ``event``."""
    source = f"{event.source.topic}[{event.source.partition}]"
    amount = float(event.extra.get("amount_usd", 0.0))
    label = kind_named(event.kind).label_index(event.label)
    ts = event.ts.timestamp()
    return [
        Contribution(
            s.key,
            event.kind,
            event.id,
            ts,
            label,
            event.score,
            amount,
            source,
            event.source.offset,
            s.relevance,
            event.novel,
        )
        for s in event.subjects
    ]
