"""What differs between record kinds, in one table: adding a kind means adding a row here.

Each :class:`RecordKind` says how its records are parsed, what of a rejected payload may be
echoed, what text the model reads, which subjects a record counts for, which model task scores
it, and the class names in the model's order (the one spelling used everywhere: scored events,
windows, metrics, backtests). The stages look the kind up instead of switching on its name.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from models.transactions import Transaction, render_transaction, usd_equivalent
from stream.errors import ConfigError
from stream.pipeline.parse import ParseContext, Rejected, parse_news, parse_transaction
from stream.pipeline.redact import redact_payload
from stream.pipeline.subjects import Entities, news_subjects, transaction_subjects
from stream.records import NewsItem, Subject

__all__ = ["KINDS", "NEWS", "TRANSACTION", "KindName", "Record", "RecordKind", "kind_named"]

KindName = Literal["news", "transaction"]
Record = NewsItem | Transaction

BODY_CHARS = 600  # of a news body, after the headline, in the model's text


@dataclass(frozen=True, slots=True)
class RecordKind:
    name: KindName  # ``kind`` of scored events and dead letters
    input_role: str  # the Kafka topic role it arrives on (``KafkaSettings.topics``)
    task: str  # the model task that scores it
    classes: tuple[str, str, str]  # the model's labels, in its output order
    flagged: int  # index of the class kept as evidence in windows (negative, high risk)
    share_metric: str  # the window share it exports: negative_share | high_risk_share
    exports_amount: bool  # windows export the USD amount
    backtest_columns: tuple[str, str, str]  # class-count columns of the backtest windows file
    parse: Callable[[bytes, ParseContext], Any]  # -> Record | Rejected
    redact: Callable[[bytes, bytes], bytes]  # payload -> what a dead letter may echo
    model_text: Callable[[Any], str]
    subjects: Callable[[Any, Entities], tuple[Subject, ...]]
    novelty: bool  # its records are judged first or repeat (stream.pipeline.novelty)
    event_time: Callable[[Any], datetime]
    wire_extra: Callable[[Any], dict[str, Any]]  # fields of the scored event beyond the core
    required_fields: tuple[str, ...]  # input fields every record must have

    def label_index(self, label: str) -> int:
        return self.classes.index(label)


def news_text(item: NewsItem) -> str:
    """Headline first (it carries the sentiment), then the start of the body."""
    if item.body:
        return f"{item.headline}. {item.body[:BODY_CHARS]}"
    return item.headline


def _news_extra(item: NewsItem) -> dict[str, Any]:
    return {"headline": item.headline[:300], "news_source": item.source}


def _transaction_extra(tx: Transaction) -> dict[str, Any]:
    return {
        "account": tx.account,
        "amount": str(tx.amount),
        "currency": tx.currency,
        "amount_usd": float(usd_equivalent(tx.amount, tx.currency)),
        "country": tx.country,
        "channel": tx.channel,
        "merchant_category": tx.merchant_category,
    }


def _parse_news(payload: bytes, ctx: ParseContext) -> NewsItem | Rejected:
    return parse_news(payload, ctx.limits, ctx.now)


def _parse_transaction(payload: bytes, ctx: ParseContext) -> Transaction | Rejected:
    return parse_transaction(payload, ctx.limits, ctx.now, ctx.account_key)


NEWS = RecordKind(
    name="news",
    input_role="news",
    task="news",
    classes=("negative", "neutral", "positive"),
    flagged=0,
    share_metric="negative_share",
    exports_amount=False,
    backtest_columns=("negative", "neutral", "positive"),
    parse=_parse_news,
    redact=redact_payload,
    model_text=news_text,
    subjects=news_subjects,
    novelty=True,
    event_time=lambda item: item.published_at,
    wire_extra=_news_extra,
    required_fields=("id", "published_at", "source", "headline"),
)
TRANSACTION = RecordKind(
    name="transaction",
    input_role="transactions",
    task="transactions",
    classes=("low", "medium", "high"),
    flagged=2,
    share_metric="high_risk_share",
    exports_amount=True,
    backtest_columns=("low_risk", "medium_risk", "high_risk"),
    parse=_parse_transaction,
    redact=redact_payload,
    model_text=render_transaction,
    subjects=lambda tx, _entities: transaction_subjects(tx),
    novelty=False,
    event_time=lambda tx: tx.ts,
    wire_extra=_transaction_extra,
    required_fields=(
        "id",
        "ts",
        "account",
        "counterparty",
        "amount",
        "currency",
        "country",
        "channel",
    ),
)
KINDS: dict[str, RecordKind] = {k.name: k for k in (NEWS, TRANSACTION)}


def kind_named(name: str) -> RecordKind:
    try:
        return KINDS[name]
    except KeyError:
        msg = f"unknown record kind {name!r}: use one of {', '.join(KINDS)}"
        raise ConfigError(msg) from None
