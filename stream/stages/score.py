"""Score a micro-batch: records -> model texts -> one ``score_batch`` call -> scored events.

Pure given a scorer: the worker calls it in a thread off the event loop, the re-scoring CLI
calls it directly. Records the model cannot score come back in ``failed`` for the dead-letter
topic instead of failing the batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from models.runtime import Score
from models.transactions import render_transaction, usd_equivalent
from stream.records import NewsItem, ScoredEvent, SourceRef, Transaction
from stream.topics import Watchlist, news_topics, transaction_topics

__all__ = [
    "TASK_OF_KIND",
    "BatchScorer",
    "ScoreOutcome",
    "model_texts",
    "news_text",
    "score_news",
    "score_records",
    "score_transactions",
]

BODY_CHARS = 600
TASK_OF_KIND = {"news": "news", "transaction": "transactions"}  # record kind -> model task


class BatchScorer(Protocol):
    def score_batch(self, texts: Sequence[str]) -> list[Score]: ...


@dataclass(slots=True)
class ScoreOutcome:
    scored: list[ScoredEvent] = field(default_factory=list)
    failed: list[tuple[SourceRef, str]] = field(default_factory=list)


def news_text(item: NewsItem) -> str:
    """Headline first (it carries the sentiment), then the start of the body."""
    if item.body:
        return f"{item.headline}. {item.body[:BODY_CHARS]}"
    return item.headline


def score_news(
    items: Sequence[tuple[NewsItem, SourceRef]], scorer: BatchScorer, watchlist: Watchlist
) -> ScoreOutcome:
    out = ScoreOutcome()
    scores = scorer.score_batch([news_text(item) for item, _ in items])
    for (item, ref), score in zip(items, scores, strict=True):
        if score.label is None or score.score is None:
            out.failed.append((ref, score.error or "not scored"))
            continue
        out.scored.append(
            ScoredEvent(
                id=item.id,
                kind="news",
                ts=item.published_at,
                topics=news_topics(item, watchlist),
                label=score.label,
                probabilities=score.probabilities,
                score=score.score,
                model_version=score.model_version,
                source=ref,
                extra={"headline": item.headline[:300], "news_source": item.source},
            )
        )
    return out


def score_transactions(
    items: Sequence[tuple[Transaction, SourceRef]], scorer: BatchScorer
) -> ScoreOutcome:
    """``items`` carry already-hashed accounts and masked memos (see ``parse_transaction``)."""
    out = ScoreOutcome()
    scores = scorer.score_batch([render_transaction(tx) for tx, _ in items])
    for (tx, ref), score in zip(items, scores, strict=True):
        if score.label is None or score.score is None:
            out.failed.append((ref, score.error or "not scored"))
            continue
        out.scored.append(
            ScoredEvent(
                id=tx.id,
                kind="transaction",
                ts=tx.ts,
                topics=transaction_topics(tx),
                label=score.label,
                probabilities=score.probabilities,
                score=score.score,
                model_version=score.model_version,
                source=ref,
                extra={
                    "account": tx.account,
                    "amount": str(tx.amount),
                    "currency": tx.currency,
                    "amount_usd": float(usd_equivalent(tx.amount, tx.currency)),
                    "country": tx.country,
                    "channel": tx.channel,
                    "merchant_category": tx.merchant_category,
                },
            )
        )
    return out


def model_texts(kind: str, items: Sequence[tuple[Any, SourceRef]]) -> list[str]:
    """The texts the model sees for parsed records of ``kind`` (news or transaction)."""
    if kind == "news":
        return [news_text(item) for item, _ in items]
    return [render_transaction(tx) for tx, _ in items]


def score_records(
    kind: str,
    items: Sequence[tuple[Any, SourceRef]],
    scorer: BatchScorer,
    watchlist: Watchlist,
) -> ScoreOutcome:
    """Score parsed records of ``kind``: the one entry point of the worker and rescore."""
    if not items:
        return ScoreOutcome()
    if kind == "news":
        return score_news(items, scorer, watchlist)
    return score_transactions(items, scorer)
