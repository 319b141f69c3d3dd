import pytest

from stream.entities.events import Tag
from stream.entities.matcher import Mention
from stream.entities.relevance import company_relevance, tag_relevance


def test_one_cashtag_in_the_headline_is_fully_relevant():
    assert company_relevance([Mention("AAPL", "cashtag", 0)], []) == {"ticker:AAPL": 1.0}


def test_a_name_counts_less_than_a_ticker_and_the_body_less_than_the_headline():
    assert company_relevance([Mention("AAPL", "name", 0)], []) == {"ticker:AAPL": 0.9}
    assert company_relevance([], [Mention("AAPL", "cashtag", 0)]) == {"ticker:AAPL": 0.5}


def test_many_companies_share_the_relevance_and_the_first_leads():
    mentions = [Mention(t, "cashtag", i) for i, t in enumerate(("A", "B", "C", "D", "E"))]
    out = company_relevance(mentions, [])
    assert out["ticker:A"] == pytest.approx(1 / 5**0.5, abs=1e-3)
    assert out["ticker:B"] == pytest.approx(0.85 / 5**0.5, abs=1e-3)
    assert list(out) == ["ticker:A", "ticker:B", "ticker:C", "ticker:D", "ticker:E"]


def test_a_headline_mention_wins_over_the_body():
    out = company_relevance([Mention("A", "name", 3)], [Mention("A", "cashtag", 0)])
    assert out == {"ticker:A": 0.9}


def test_outside_universe_companies_have_their_own_keys():
    out = company_relevance([Mention("", "suffix", 0, "acme_rockets")], [])
    assert out == {"company:acme_rockets": 0.8}


def test_tags_in_the_headline_count_fully_in_the_body_less():
    assert tag_relevance(
        [Tag("macro:rates", 0)], [Tag("macro:rates", 9), Tag("country:AR", 1)]
    ) == {
        "macro:rates": 1.0,
        "country:AR": 0.6,
    }
