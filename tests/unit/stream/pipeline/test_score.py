"""``score_records``: one model call per batch, events built from the kind table."""

from __future__ import annotations

from datetime import UTC, datetime

from stream.pipeline.kinds import NEWS
from stream.pipeline.score import model_texts, score_records
from stream.pipeline.subjects import Entities
from stream.records import NewsItem, SourceRef

from .fakes import KeywordScorer

NOW = datetime(2026, 11, 23, 12, tzinfo=UTC)


def _items(*headlines: str) -> list[tuple[NewsItem, SourceRef]]:
    return [
        (NewsItem(f"n{i}", NOW, "wire", h, tickers=("AAPL",)), SourceRef("news", 0, i))
        for i, h in enumerate(headlines)
    ]


def test_one_call_scores_the_batch_and_events_carry_kind_subjects_and_version():
    scorer = KeywordScorer()
    items = _items("AAPL beats", "AAPL plunge")
    out = score_records(NEWS, items, scorer, Entities.of({}, {}))
    assert scorer.calls == [model_texts(NEWS, items)]
    assert [(e.id, e.label, e.kind) for e in out.scored] == [
        ("n0", "positive", "news"),
        ("n1", "negative", "news"),
    ]
    assert out.scored[0].keys == ("ticker:AAPL",)
    wire = out.scored[0].to_wire()
    assert wire["topics"] == ["ticker:AAPL"]  # the wire keeps its name
    assert wire["subjects"] == [{"key": "ticker:AAPL", "relevance": 1.0}]
    assert out.scored[0].model_version == "fake@1/int8"
    assert out.scored[0].extra == {"headline": "AAPL beats", "news_source": "wire"}


def test_texts_the_model_fails_on_come_back_as_failed_not_as_an_error():
    out = score_records(NEWS, _items("ok", "UNSCORABLE"), KeywordScorer(), Entities.of({}, {}))
    assert [e.id for e in out.scored] == ["n0"]
    assert out.failed == [(SourceRef("news", 0, 1), "inference failed")]


def test_an_empty_batch_calls_no_model():
    scorer = KeywordScorer()
    assert score_records(NEWS, [], scorer, Entities.of({}, {})).scored == []
    assert scorer.calls == []


def test_a_record_counts_for_at_most_max_subjects_and_the_rest_are_counted():
    tickers = tuple(f"T{i}" for i in range(100))
    item = NewsItem("n", NOW, "w", "T0 beats", tickers=tickers)
    out = score_records(
        NEWS, [(item, SourceRef("news", 0, 0))], KeywordScorer(), Entities.of({}, {}), 10
    )
    assert out.scored[0].keys == tuple(f"ticker:T{i}" for i in range(10))  # the most relevant
    assert out.subjects_dropped == 90
