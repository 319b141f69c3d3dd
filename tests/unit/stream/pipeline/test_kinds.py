"""The per-kind table: every kind has what the stages look up, spelled one way."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
import pytest

from models.tasks import get_task
from stream.errors import ConfigError
from stream.pipeline.kinds import KINDS, NEWS, TRANSACTION, kind_named, news_text
from stream.pipeline.parse import ParseContext, Rejected
from stream.pipeline.subjects import Entities
from stream.pipeline.windows import WINDOW_METRICS
from stream.records import NewsItem
from stream.settings import TopicSettings, ValidationSettings

NOW = datetime(2026, 11, 23, 12, tzinfo=UTC)
CTX = ParseContext(ValidationSettings(), NOW, b"k")


def test_every_kind_is_complete_and_its_classes_are_the_models_labels():
    roles = set(TopicSettings.ROLES)
    for kind in KINDS.values():
        assert kind.classes == get_task(kind.task).labels  # one spelling: the model's
        assert 0 <= kind.flagged < len(kind.classes)
        assert kind.share_metric in WINDOW_METRICS
        assert kind.input_role in roles
        assert len(set(kind.backtest_columns)) == 3
    columns = [c for k in KINDS.values() for c in k.backtest_columns]
    assert len(columns) == len(set(columns))  # one backtest file holds both kinds


def test_unknown_kinds_are_a_config_error_naming_the_known_ones():
    assert kind_named("news") is NEWS
    with pytest.raises(ConfigError, match="news, transaction"):
        kind_named("tweets")


def test_each_kind_parses_renders_and_finds_its_subjects():
    watch = Entities.of({"JPM": "financials"}, {"jpmorgan": "JPM"})
    news = NEWS.parse(
        orjson.dumps({"id": 1, "published_at": NOW.isoformat(), "source": "w",
                      "headline": "JPMorgan beats", "body": "x" * 2000}),
        CTX,
    )  # fmt: skip
    assert isinstance(news, NewsItem)
    assert NEWS.model_text(news) == news_text(news) and len(NEWS.model_text(news)) < 700
    assert [s.key for s in NEWS.subjects(news, watch)] == ["ticker:JPM", "sector:financials"]
    assert NEWS.event_time(news) == NOW
    tx = TRANSACTION.parse(
        orjson.dumps({"id": "t", "ts": NOW.isoformat(), "account": "DE001234567",
                      "counterparty": "Shop", "amount": "12.50", "currency": "EUR",
                      "country": "DE", "channel": "card_present", "merchant_category": "food"}),
        CTX,
    )  # fmt: skip
    assert not isinstance(tx, Rejected)
    assert [s.key for s in TRANSACTION.subjects(tx, watch)[1:]] == [
        "counterparty_country:DE",
        "merchant:food",
    ]
    extra = TRANSACTION.wire_extra(tx)
    assert extra["account"].startswith("acct_") and extra["amount_usd"] == pytest.approx(13.5)
    assert "payment of 12.50 EUR" in TRANSACTION.model_text(tx)


def test_every_kind_redacts_what_a_dead_letter_echoes():
    raw = b'{"account": "DE00123456789", "memo": "card 4111111111111111"}'
    for kind in KINDS.values():
        echoed = kind.redact(raw, b"k").decode()
        assert "00123456789" not in echoed and "4111111111111111" not in echoed


def test_required_fields_are_what_the_parsers_require():
    for kind, record in (
        (NEWS, {"id": "n", "published_at": NOW.isoformat(), "source": "w", "headline": "h"}),
        (TRANSACTION, {"id": "t", "ts": NOW.isoformat(), "account": "A1", "counterparty": "c",
                       "amount": "1", "currency": "USD", "country": "US", "channel": "ach"}),
    ):  # fmt: skip
        assert set(kind.required_fields) == set(record)
        assert not isinstance(kind.parse(orjson.dumps(record), CTX), Rejected)
        for name in kind.required_fields:
            less = {k: v for k, v in record.items() if k != name}
            assert isinstance(kind.parse(orjson.dumps(less), CTX), Rejected), name
