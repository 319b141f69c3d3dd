"""Records keyed by what they are about, so one subject's records stay in one partition."""

from __future__ import annotations

from stream.kafka.produce import read_jsonl, routing_key
from stream.pipeline.subjects import Entities

WATCH = Entities.of({"JPM": "banks"}, {"jpmorgan": "JPM"})


def test_news_by_ticker_then_name_transactions_by_merchant_else_id():
    assert routing_key({"tickers": ["$jpm", "GS"], "headline": "x"}, WATCH) == b"JPM"
    assert routing_key({"headline": "JPMorgan beats"}, WATCH) == b"JPM"
    assert routing_key({"headline": "Nothing known", "id": "n1"}, WATCH) == b"n1"
    assert routing_key({"merchant_category": "fuel", "id": "t1"}) == b"fuel"
    assert routing_key([1, 2]) is None and routing_key({}) is None


def test_jsonl_lines_are_read_as_payloads_including_bad_ones(tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_bytes(b'{"id": 1}\r\n\n{broken\n')
    assert read_jsonl(path) == [b'{"id": 1}', b"{broken"]
