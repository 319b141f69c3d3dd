from datetime import UTC, datetime

import pytest

from models.transactions import Transaction
from stream.pipeline.subjects import SCAN_CHARS, Entities, news_subjects, transaction_subjects
from stream.records import NewsItem, Subject

WATCH = Entities.of(
    {"AAPL": "information_technology", "JPM": "financials"},
    {"Apple": "AAPL", "JPMorgan": "JPM"},
)


def item(headline, **kw):
    return NewsItem("n", datetime(2026, 1, 1, tzinfo=UTC), "s", headline, **kw)


def keys(subjects):
    return [s.key for s in subjects]


def test_companies_sectors_events_and_fields_each_once():
    subjects = news_subjects(
        item(
            "JPMorgan cuts $TSLA price target; Apple unaffected",
            tickers=("MSFT",),
            topics=("autos",),
        ),
        WATCH,
    )
    assert set(keys(subjects)) == {
        "ticker:MSFT",
        "ticker:TSLA",
        "ticker:JPM",
        "ticker:AAPL",
        "sector:financials",
        "sector:information_technology",
        "event:analyst_downgrade",
        "topic:autos",
    }
    assert len(subjects) == len(set(keys(subjects)))


def test_most_relevant_first_and_the_field_ticker_leads():
    subjects = news_subjects(item("Apple and JPMorgan shares rise", tickers=("JPM",)), WATCH)
    relevance = {s.key: s.relevance for s in subjects}
    assert [s.relevance for s in subjects] == sorted(relevance.values(), reverse=True)
    assert relevance["ticker:JPM"] > relevance["ticker:AAPL"]  # field beats a later name
    assert relevance["sector:financials"] < relevance["ticker:JPM"]


def test_more_companies_means_less_relevance_for_each():
    one = news_subjects(item("$AAPL rallies"), WATCH)[0]
    five = news_subjects(item("$AAPL $MSFT $NVDA $AMZN $META rally"), WATCH)
    assert one == Subject("ticker:AAPL", 1.0)
    assert all(s.relevance < 0.5 for s in five if s.key.startswith("ticker:"))


def test_body_only_mentions_count_less_than_headline_ones():
    subjects = news_subjects(item("Banks rally", body="JPMorgan led the gains."), WATCH)
    relevance = {s.key: s.relevance for s in subjects}
    assert relevance["ticker:JPM"] == pytest.approx(0.45)  # name 0.9 x body 0.5


def test_min_relevance_drops_weak_subjects():
    strict = Entities(WATCH.universe, WATCH.matcher, WATCH.tagger, min_relevance=0.5)
    subjects = news_subjects(item("Banks rally", body="JPMorgan led the gains."), strict)
    assert "ticker:JPM" not in keys(subjects)


def test_dollar_amounts_are_not_cashtags():
    assert keys(news_subjects(item("Shares rose $5 to $120"), WATCH)) == ["event:price_move"]


def test_bounded_work_on_a_huge_body():
    body = "JPMorgan " * 50_000  # 450 kB
    subjects = news_subjects(item("Markets", body=body), WATCH)
    assert "ticker:JPM" in keys(subjects)
    assert len(body) > SCAN_CHARS


def test_no_letters_at_all():
    assert news_subjects(item("1234 5678 !!! ???"), WATCH) == ()


def test_watchlist_file_loads(tmp_path):
    path = tmp_path / "w.toml"
    path.write_text(
        '[[companies]]\nticker = "nvda"\nnames = ["Nvidia"]\nsector = "Information Technology"\n'
    )
    w = Entities.load(path, None)
    assert keys(news_subjects(item("Nvidia soars"), w))[:2] == [
        "ticker:NVDA",
        "sector:information_technology",
    ]


def test_transaction_subjects_are_fully_relevant():
    tx = Transaction(
        "t", datetime(2026, 1, 1, tzinfo=UTC), "acct_1", "X", 5, "USD", "KY", "wire", "crypto"
    )
    assert transaction_subjects(tx) == (
        Subject("account:acct_1"),
        Subject("counterparty_country:KY"),
        Subject("merchant:crypto"),
    )
