from datetime import UTC, datetime

from stream.pipeline.subjects import Watchlist, news_subjects
from stream.records import NewsItem

WATCH = Watchlist.build(
    {"AAPL": "technology", "JPM": "banks"}, {"apple": "AAPL", "jpmorgan": "JPM"}
)


def item(headline, **kw):
    return NewsItem("n", datetime(2026, 1, 1, tzinfo=UTC), "s", headline, **kw)


def test_cashtags_names_fields_and_sectors():
    keys = news_subjects(
        item("JPMorgan cuts $TSLA target; apple unaffected", tickers=("MSFT",), topics=("autos",)),
        WATCH,
    )
    assert keys == (
        "ticker:MSFT",
        "ticker:TSLA",
        "ticker:JPM",
        "ticker:AAPL",
        "sector:banks",
        "sector:technology",
        "topic:autos",
    )


def test_dollar_amounts_are_not_cashtags():
    assert news_subjects(item("Shares rose $5 to $120"), WATCH) == ()


def test_watchlist_file_loads(tmp_path):
    path = tmp_path / "w.toml"
    path.write_text('[[companies]]\nticker = "nvda"\nnames = ["Nvidia"]\nsector = "Chips"\n')
    w = Watchlist.load(path)
    assert news_subjects(item("Nvidia soars"), w) == ("ticker:NVDA", "sector:chips")
