"""News-like training text: tweets rewritten as newswire, templated report sentences."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from models.datasets import LabelledTexts
from models.tasks import NEWS
from models.training.newswire import detweet, report_sentences, with_newswire


@pytest.mark.parametrize(
    ("tweet", "wire"),
    [
        (
            "$LK - Muddy Waters goes short Luckin Coffee https://t.co/8yrbwAjLKG",
            "Muddy Waters goes short Luckin Coffee.",
        ),
        ("RT @WSJ: Apple shares jump 5% \U0001f680 #stocks #markets", "Apple shares jump 5%."),
        ("$VIAC $VIACA $FOX - NFL TV costs to skyrocket", "NFL TV costs to skyrocket."),
        ("$NCBS: Hovde Group cuts to Market Perform", "Hovde Group cuts to Market Perform."),
        ("#Tesla deliveries beat estimates", "Tesla deliveries beat estimates."),
        ("6 Gold Companies Investors Can't Ignore In 2020 - Yahoo Finance", None),
        ("Silver, platinum and palladium all rose… https://t.co/x", None),
        ("Costs at $AAPL rose, says @analyst", "Costs at AAPL rose, says."),
        ("Dassault Systemes reports Q4 results", "Dassault Systemes reports Q4 results."),
    ],
)
def test_detweet_leaves_a_sentence_without_tweet_marks(tweet, wire):
    out = detweet(tweet)
    if wire is not None:
        assert out == wire
    assert not re.search(r"[$@#]|https?://|…|\U0001f680", out)
    assert out.endswith(".") and not out[0].islower()


def test_detweet_keeps_a_tweet_that_would_be_emptied():
    assert detweet("\U0001f680\U0001f680 #stocks") == "\U0001f680\U0001f680 #stocks"
    assert detweet("$AAPL $MSFT") == "AAPL MSFT."


def test_report_sentences_are_seeded_balanced_and_read_as_reports():
    data = report_sentences(900, seed=5)
    assert data.texts == report_sentences(900, seed=5).texts
    assert data.texts != report_sentences(900, seed=6).texts
    counts = Counter(data.labels)
    assert all(250 <= counts[i] <= 350 for i in range(3))
    assert len(set(data.texts)) > 850  # numbers, names and periods vary
    assert all(t.endswith(".") and t[0].isupper() for t in data.texts)
    assert sum(bool(re.search(r"\d", t)) for t in data.texts) > 0.8 * len(data)
    by_label = {
        NEWS.labels[i]: [t for t, j in zip(data.texts, data.labels, strict=True) if j == i]
        for i in range(3)
    }
    # the direction fixes the label: rises are positive, falls negative, totals neutral
    assert any(" rose to " in t for t in by_label["positive"])
    assert not any(re.search(r"\b(rose|increased|grew) (by|to)\b", t) for t in by_label["negative"])
    assert not any(
        re.search(r"\b(fell|decreased|declined) (by|to)\b", t) for t in by_label["positive"]
    )
    assert any("narrowed" in t for t in by_label["positive"])
    assert any("widened" in t for t in by_label["negative"])
    mix = report_sentences(300, seed=1, shares={"neutral": 1.0})
    assert set(mix.labels) == {NEWS.labels.index("neutral")}


def test_with_newswire_adds_changed_copies_with_their_labels_and_reports():
    data = LabelledTexts(
        ("$X beats estimates https://t.co/a", "Fed holds rates.", "Fed holds rates"),
        (2, 1, 1),
        NEWS,
        "sha",
    )
    grown = with_newswire(data, reports=10, seed=3)
    assert grown.texts[:3] == data.texts and grown.source_sha256 == "sha"
    assert grown.texts[3] == "X beats estimates." and grown.labels[3] == 2
    assert len(grown) == 3 + 1 + 10  # the plain texts change only by a full stop: no copy
    assert with_newswire(data, reports=0, seed=3, copies=False) == data
