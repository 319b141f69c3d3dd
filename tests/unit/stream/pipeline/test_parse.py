from datetime import UTC, datetime
from decimal import Decimal

import orjson
import pytest

from stream.pipeline.parse import (
    Rejected,
    hash_account,
    parse_news,
    parse_transaction,
)
from stream.pipeline.redact import redact_payload
from stream.records import NewsItem, Transaction
from stream.settings import ValidationSettings

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
LIMITS = ValidationSettings()
KEY = b"k"
NEWS = {
    "id": "n1",
    "published_at": "2026-11-22T11:59:00Z",
    "source": "wire",
    "headline": "Apple beats estimates",
    "tickers": ["$aapl"],
    "topics": ["Earnings"],
}
TX = {
    "id": "t1",
    "ts": 1763812740,
    "account": "DE89370400440532013000",
    "counterparty": "Shop",
    "amount": "12.50",
    "currency": "eur",
    "country": "de",
    "channel": "card_present",
    "memo": "ref 12345678",
}


def test_news_ok():
    item = parse_news(orjson.dumps(NEWS), LIMITS, NOW)
    assert isinstance(item, NewsItem)
    assert item.tickers == ("AAPL",) and item.topics == ("earnings",)
    assert item.published_at == datetime(2026, 11, 22, 11, 59, tzinfo=UTC)


def test_transaction_ok_hashes_account_and_masks_memo():
    tx = parse_transaction(orjson.dumps(TX), LIMITS, NOW, KEY)
    assert isinstance(tx, Transaction)
    assert tx.account == hash_account("DE89370400440532013000", KEY)
    assert "0532013000" not in tx.account and tx.memo == "ref ########"
    assert tx.amount == Decimal("12.50") and tx.currency == "EUR" and tx.country == "DE"


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"{not json", "bad_json"),
        (b"[1, 2]", "not_object"),
        (orjson.dumps({**NEWS, "headline": "  "}), "missing_field"),
        (orjson.dumps({k: v for k, v in NEWS.items() if k != "source"}), "missing_field"),
        (orjson.dumps({**NEWS, "headline": 5}), "bad_type"),
        (orjson.dumps({**NEWS, "tickers": "AAPL"}), "bad_type"),
        (orjson.dumps({**NEWS, "published_at": "yesterday"}), "bad_timestamp"),
        (orjson.dumps({**NEWS, "published_at": "2027-01-01T00:00:00Z"}), "future_timestamp"),
        (b"{" + b" " * 300_000 + b"}", "oversize"),
    ],
)
def test_bad_news(payload, reason):
    result = parse_news(payload, LIMITS, NOW)
    assert isinstance(result, Rejected) and result.reason == reason, result


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"amount": "NaN"}, "bad_amount"),
        ({"amount": "Infinity"}, "bad_amount"),
        ({"amount": 1e15}, "bad_amount"),
        ({"amount": "twelve"}, "bad_amount"),
        ({"amount": True}, "bad_type"),
        ({"currency": "EURO"}, "bad_code"),
        ({"country": "Germany"}, "bad_code"),
        ({"ts": "not-a-time"}, "bad_timestamp"),
        ({"ts": 1e300}, "bad_timestamp"),
        ({"account": None}, "missing_field"),
    ],
)
def test_bad_transactions(change, reason):
    result = parse_transaction(orjson.dumps({**TX, **change}), LIMITS, NOW, KEY)
    assert isinstance(result, Rejected) and result.reason == reason, result


def test_rejected_payload_is_redacted():
    redacted = redact_payload(orjson.dumps({**TX, "amount": "NaN"}), KEY)
    assert b"0532013000" not in redacted and b"12345678" not in redacted
    raw = redact_payload(b'{"account": "DE89370400440532013000", broken', KEY)
    assert b"370400440532013000" not in raw


def test_a_byte_order_mark_is_accepted():
    assert isinstance(parse_news(b"\xef\xbb\xbf" + orjson.dumps(NEWS), LIMITS, NOW), NewsItem)


def test_an_amount_too_long_for_64_bits_is_a_bad_amount_not_bad_json():
    payload = orjson.dumps(TX).replace(b'"12.50"', b"9" * 400)
    result = parse_transaction(payload, LIMITS, NOW, KEY)
    assert isinstance(result, Rejected) and result.reason == "bad_amount", result


def test_a_null_or_blank_record_is_empty_and_json_constants_stay_bad_json():
    for payload in (b"", b"  \n"):
        result = parse_news(payload, LIMITS, NOW)
        assert isinstance(result, Rejected) and result.reason == "empty"
    result = parse_transaction(orjson.dumps(TX).replace(b'"12.50"', b"NaN"), LIMITS, NOW, KEY)
    assert isinstance(result, Rejected) and result.reason == "bad_json"
