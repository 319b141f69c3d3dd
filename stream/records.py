"""Wire schemas (JSON on Kafka) and the frozen records used inside the worker.

Inputs
  news:          {id, published_at, source, headline, body?, tickers?, topics?}
  transactions:  {id, ts, account, counterparty, amount, currency, country, channel,
                  merchant_category?, memo?}
Outputs
  scored:        {id, kind, ts, topics, label, probabilities, score, model_version,
                  source, extra}   (kind: news | transaction; accounts are keyed hashes;
                  ``topics`` on the wire holds the record's subject keys)
  alerts:        see :class:`stream.pipeline.alerts.AlertEvent`
  dead letters:  {reason, detail, source, payload, rejected_at}
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from models.transactions import Transaction

__all__ = ["DeadLetter", "NewsItem", "ScoredEvent", "SourceRef", "Transaction"]


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
class ScoredEvent:
    id: str
    kind: str  # "news" | "transaction" (stream.pipeline.kinds)
    ts: datetime
    subjects: tuple[str, ...]  # what it is about: ticker:AAPL, sector:banks, ...
    label: str
    probabilities: dict[str, float]
    score: float
    model_version: str
    source: SourceRef
    extra: dict[str, Any] = field(default_factory=dict)

    def to_wire(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "ts": self.ts.isoformat(),
            "topics": list(self.subjects),  # the wire name of the subject keys
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
