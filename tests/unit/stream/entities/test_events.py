import pytest

from stream.entities.events import EVENT_TYPES, MacroTagger, tags_of


@pytest.fixture(scope="module")
def tagger():
    return MacroTagger.build()


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("Cameco EPS beats by $0.13", "event:earnings_beat"),
        ("Twitter EPS misses by $0.02", "event:earnings_miss"),
        ("Lee reports Q4 results", "event:earnings"),
        ("Zynex raises Q1 and FY2020 revenue outlook", "event:guidance_raised"),
        ("Kohl's cuts annual profit forecast after results", "event:guidance_cut"),
        ("Anchiano downgraded to peer perform at Oppenheimer", "event:analyst_downgrade"),
        ("Hasbro upgraded to buy from neutral at UBS", "event:analyst_upgrade"),
        ("BRP Group started at hold at Jefferies", "event:analyst_initiation"),
        ("LVMH agreed to buy Tiffany in its biggest acquisition", "event:mna"),
        ("WeWork sues SoftBank over tender offer", "event:litigation"),
        ("Canadian National laying off workers", "event:layoffs"),
        ("Boise Cascade declares $0.10 dividend", "event:dividend"),
        ("SB Financial extends share repurchase program", "event:buyback"),
        ("Retailer files for Chapter 11 protection", "event:bankruptcy"),
        ("Xeris Pharma launches equity offering", "event:offering"),
        ("Kenya's central bank lowers interest rates", "macro:rates"),
        ("Inflation hits a 40-year high", "macro:inflation"),
        ("Argentine bonds slump", "country:AR"),
        ("Oil prices fall on trade deal hopes", "commodity:oil"),
        ("U.S. jobless claims rise", "country:US"),
    ],
)
def test_each_type_matches_its_text(tagger, text, key):
    assert key in tags_of(text, tagger)


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("Don't miss this chance", "event:earnings_miss"),
        ("Heart beats faster", "event:earnings_beat"),
        ("3 Stocks to Buy Now", "event:mna"),
        ("Oil settles higher", "event:litigation"),
        ("Bank of America profit rises", "country:US"),
        ("Price target US$2.00", "country:US"),
        ("Fine wine auction", "event:litigation"),
        ("dividend yield of 3%", "macro:rates"),
        ("us and them", "country:US"),
    ],
)
def test_word_lookalikes_do_not(tagger, text, key):
    assert key not in tags_of(text, tagger)


def test_a_specific_event_replaces_the_generic_one(tagger):
    keys = tags_of("Apple beats estimates with record Q4 results", tagger)
    assert "event:earnings_beat" in keys and "event:earnings" not in keys


def test_positions_are_reported(tagger):
    tags = tagger.tags("Shares slump as Fed hikes rates")
    assert {t.key: t.at for t in tags}["macro:rates"] == 16


def test_every_event_type_has_a_matching_case(tagger):
    assert len(EVENT_TYPES) == len(set(EVENT_TYPES)) >= 15
