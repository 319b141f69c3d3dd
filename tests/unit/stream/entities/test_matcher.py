import time

import pytest

from stream.entities.matcher import EntityMatcher
from stream.entities.universe import Universe
from stream.settings import Settings


@pytest.fixture(scope="module")
def matcher():
    return EntityMatcher.build(Universe.load(None, Settings().alerts.watchlist_file))


def tickers(matcher, text):
    return [m.key for m in matcher.find(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("$NVDA - Nvidia set for gaming tailwinds", ["ticker:NVDA"]),
        ("Investors Who Bought Elanco Animal Health (NYSE:ELAN) Shares", ["ticker:ELAN"]),
        ("Apple Inc. (NASDAQ: AAPL) rises", ["ticker:AAPL"]),
        ("Hedge Funds Are Selling Covanta Holding Corporation (CVA)", ["ticker:CVA"]),
        ("UPDATE 2-Crunch talks lead to Emirates order for 30 Boeing Dreamliners", ["ticker:BA"]),
        ("L'Oreal CEO Speaks About Coronavirus Impact", ["ticker:OR.PA"]),
        ("Home Depot's stock selloff a drag on the Dow", ["ticker:HD"]),
        (
            "Goldman Sachs and JPMorgan cut AAPL estimates",
            ["ticker:GS", "ticker:JPM", "ticker:AAPL"],
        ),
        ("$SHEL rallies", ["ticker:SHELL.AS"]),  # a US listing resolves to the company
        ("$ZZZQ rallies", ["ticker:ZZZQ"]),  # unknown cashtags still count
    ],
)
def test_the_ways_companies_are_named(matcher, text, expected):
    assert tickers(matcher, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Morgan Stanley raises price target on Apple", ["ticker:MS", "ticker:AAPL"]),
        ("Target has morphed into a model for retail", ["ticker:TGT"]),
        ("Why Target Stock Soared Today", ["ticker:TGT"]),
        ("apple juice prices rise", []),
        ("Apple juice maker expands", []),
        ("A shell company was used in the scheme", []),
        ("Shell profit beats forecasts", ["ticker:SHELL.AS"]),
        ("Oil Shell Prices", []),
        ("Fed meets next week", []),
        ("Next Week's Fed Meeting Looms", []),
        ("Visa applications fall", []),
        ("Visa shares rise on strong spending", ["ticker:V"]),
        ("Analysts see the stock hitting its Target", []),
        ("Dow futures fall 200 points", []),  # the index, not Dow Inc.
        ("Nasdaq gains 1%", []),
        ("Southwest Ideas Investor Conference begins", []),
        ("Billionaires David Reuben and Simon Reuben finance the deal", []),  # a person
        ("Tapestry Q2 EPS $1.08 vs. 88 cents", ["ticker:TPR"]),  # not Q2 Holdings
        ("Green Plains Partners EPS misses", []),  # not Partners Group
        ("Fed Chair Powell speaks today", []),  # not Powell Industries
        ("Goldman expands company research", ["ticker:GS"]),
    ],
)
def test_names_that_are_common_words(matcher, text, expected):
    assert tickers(matcher, text) == expected


def test_acronyms_in_parentheses_are_not_tickers(matcher):
    assert tickers(matcher, "Interview with the chief executive (CEO) on the (IPO)") == []
    assert tickers(matcher, "Hedge Funds Like City Office REIT Inc (CIO)") == ["ticker:CIO"]


def test_companies_outside_the_universe(matcher):
    assert tickers(matcher, "Vecima Networks Inc. Is Worth More After These Results") == [
        "company:vecima_networks"
    ]
    assert tickers(matcher, "Nordstromia : Hiring for the Holidays #Nordstromia #Stock") == [
        "company:nordstromia"
    ]
    assert tickers(matcher, "News Highlights : Top Energy News #WTI #Stock") == []
    assert tickers(matcher, "Should You Buy Ecopetrolia S.A. Now?") == ["company:ecopetrolia"]


def test_exchange_prefixes_do_not_leak_bare_tickers(matcher):
    assert tickers(matcher, "A Look At Koninklijke DSM N.V. (AMS:DSM)") == ["ticker:DSM"]


def test_shouting_text_has_no_bare_tickers(matcher):
    assert tickers(matcher, "BREAKING NEWS: MARKETS ARE OPEN NOW AND AAPL TOO") == []


def test_first_mention_order_and_positions(matcher):
    found = matcher.find("Apple beats; $AAPL up, Microsoft flat")
    assert [m.key for m in found] == ["ticker:AAPL", "ticker:MSFT"]
    assert found[0].at == 0 and found[0].how == "cashtag"  # the strongest way, the first place


def test_bounded_time_for_100_tickers_and_no_letters(matcher):
    text = " ".join(f"${chr(65 + i % 26)}{chr(65 + i // 26)}X" for i in range(100))
    started = time.perf_counter()
    assert len(matcher.find(text)) == 100
    assert matcher.find("1234 5678 ... !!!") == []
    assert time.perf_counter() - started < 1.0


def test_wire_prefixes_do_not_glue_onto_names(matcher):
    assert tickers(matcher, "UPDATE 1-Goldman Sachs announces buyback - Reuters") == ["ticker:GS"]
    assert tickers(matcher, "Coca-Cola and Bristol-Myers rise") == ["ticker:KO", "ticker:BMY"]


def test_possessive_names_that_are_words(matcher):
    assert tickers(matcher, "Kohl's stock price target cut to $50") == ["ticker:KSS"]
    assert tickers(matcher, "UAE stimulus may increase problem loans - Moody's") == ["ticker:MCO"]
