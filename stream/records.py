"""Wire schemas (JSON on Kafka) and the frozen records used inside the worker.

Inputs
  news:          {id, published_at, source, headline, body?, tickers?, topics?}
  transactions:  {id, ts, account, counterparty, amount, currency, country, channel,
                  merchant_category?, memo?}
Outputs
  scored:        {id, kind, ts, topics, subjects, label, probabilities, score, model_version,
                  source, extra}   (kind: news | transaction; accounts are keyed hashes;
                  ``topics`` holds the record's subject keys, ``subjects`` the same keys
                  with their relevance: [{key, relevance}]; news also carries
                  ``novelty`` (first | repeat) and ``duplicate_of``)
  alerts:        see :class:`stream.pipeline.alerts.AlertEvent`
  dead letters:  {reason, detail, source, payload, rejected_at}
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from models.transactions import Transaction

__all__ = ["DeadLetter", "NewsItem", "ScoredEvent", "SourceRef", "Subject", "Transaction"]


@dataclass(frozen=True, slots=True)
class SourceRef:
    """Where a record came from: ``topic[partition]@offset``."""

    topic: str
    partition: int
    offset: int

    def __str__(self) -> str:
        return f"{self.topic}[{self.partition}]@{self.offset}"


@dataclass(frozen=True, slots=True)
class NewsItem:
    id: str
    published_at: datetime
    source: str
    headline: str
    body: str | None = None
    tickers: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Subject:
    """What a record is about (``ticker:AAPL``, ``event:guidance_cut``) and how much, in [0, 1]."""

    key: str
    relevance: float = 1.0

    def to_wire(self) -> dict[str, Any]:
        return {"key": self.key, "relevance": self.relevance}


@dataclass(frozen=True, slots=True)
class ScoredEvent:
    id: str
    kind: str  # "news" | "transaction" (stream.pipeline.kinds)
    ts: datetime
    subjects: tuple[Subject, ...]  # what it is about: ticker:AAPL, sector:financials, ...
    label: str
    probabilities: dict[str, float]
    score: float
    model_version: str
    source: SourceRef
    extra: dict[str, Any] = field(default_factory=dict)
    novel: bool = True  # not a near-duplicate of an earlier story (news; see novelty)
    duplicate_of: str | None = None  # the id of the story it repeats

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(s.key for s in self.subjects)

    @classmethod
    def from_wire(cls, raw: dict[str, Any]) -> ScoredEvent:
        """A scored event read back (the worker's novelty restore); ``source`` is not kept."""
        core = {
            "id", "kind", "ts", "topics", "subjects", "label", "probabilities", "score",
            "model_version", "source", "novelty", "duplicate_of",
        }  # fmt: skip
        subjects = raw.get("subjects") or [{"key": k} for k in raw.get("topics", [])]
        return cls(
            str(raw["id"]),
            str(raw["kind"]),
            datetime.fromisoformat(str(raw["ts"])),
            tuple(Subject(str(s["key"]), float(s.get("relevance", 1.0))) for s in subjects),
            str(raw.get("label", "")),
            dict(raw.get("probabilities") or {}),
            float(raw.get("score") or 0.0),
            str(raw.get("model_version", "")),
            SourceRef("", 0, 0),
            {k: v for k, v in raw.items() if k not in core},
            raw.get("novelty", "first") != "repeat",
            raw.get("duplicate_of"),
        )

    def to_wire(self) -> dict[str, Any]:
        novelty = (
            {"novelty": "first" if self.novel else "repeat", "duplicate_of": self.duplicate_of}
            if self.kind == "news"
            else {}
        )
        return {
            "id": self.id,
            "kind": self.kind,
            "ts": self.ts.isoformat(),
            "topics": list(self.keys),  # the wire name of the subject keys
            "subjects": [s.to_wire() for s in self.subjects],
            **novelty,
            "label": self.label,
            "probabilities": self.probabilities,
            "score": self.score,
            "model_version": self.model_version,
            "source": str(self.source),
            **self.extra,
        }


@dataclass(frozen=True, slots=True)
class DeadLetter:
    reason: str
    detail: str
    source: SourceRef
    payload: bytes

    def to_wire(self, rejected_at: datetime) -> dict[str, Any]:
        text = self.payload.decode("utf-8", errors="replace")
        return {
            "reason": self.reason,
            "detail": self.detail,
            "source": str(self.source),
            "payload": text[:65536],
            "payload_truncated": len(text) > 65536,
            "rejected_at": rejected_at.isoformat(),
        }
