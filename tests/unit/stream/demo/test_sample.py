"""The sample feed and the labelled headlines the project makes for itself."""

from __future__ import annotations

from collections import Counter

from stream.demo.sample import TEMPLATES, labelled_headlines, sample_feed


def test_labelled_headlines_are_seeded_in_the_feeds_mix_with_their_template_class():
    pairs = labelled_headlines(3000, seed=3)
    assert pairs == labelled_headlines(3000, seed=3) and pairs != labelled_headlines(3000, seed=4)
    shares = {k: v / len(pairs) for k, v in Counter(label for _, label in pairs).items()}
    assert abs(shares["neutral"] - 0.60) < 0.03 and abs(shares["negative"] - 0.15) < 0.03
    for text, label in pairs[:200]:  # each text comes from a template of its class
        assert any(
            text.startswith(t.split("{")[0]) and t.split("}")[-1] in text for t in TEMPLATES[label]
        ), (text, label)


def test_the_feed_has_its_surge_burst_and_malformed_records():
    feed = sample_feed(minutes=40, seed=1)
    surge = [n for n in feed.news if n["id"].startswith("surge")]
    assert len(surge) == 45 and all("JPMorgan" in n["headline"] for n in surge)
    assert [t["merchant_category"] for t in feed.transactions if t["id"].startswith("risky")]
    assert len(feed.malformed_news) == 3 and len(feed.malformed_transactions) == 2
    stamps = [n["published_at"] for n in feed.news]
    assert stamps == sorted(stamps)
