"""Training-time augmentation of news texts (models.training.augment)."""

from __future__ import annotations

import random

from models.training.augment import augment_news, transfer_copies

TEXTS = [
    "$BYND - JPMorgan reels in expectations on Beyond Meat https://t.co/bd0xbFGjkT",
    "$CX - Cemex cut at Credit Suisse, J.P. Morgan on weak building outlook",
    "Fed holds rates",
]


def test_copies_are_seeded_ordered_and_edited():
    copies = transfer_copies(TEXTS, 3, seed=13)
    assert copies == transfer_copies(TEXTS, 3, seed=13)
    assert copies != transfer_copies(TEXTS, 3, seed=14)
    assert len(copies) == 9
    for k in range(3):
        for i, text in enumerate(TEXTS):
            copy = copies[k * len(TEXTS) + i]
            # a copy only drops, swaps or untags the words of its own text; URLs stay
            assert copy.strip()
            assert set(copy.replace("$", "").split()) <= set(text.replace("$", "").split())
            assert ("https://t.co/bd0xbFGjkT" in copy) == ("https://t.co/bd0xbFGjkT" in text)
    assert sum(c not in TEXTS for c in copies) >= 5  # most copies differ from their text


def test_augment_strips_tags_sometimes_but_never_empties_plain_text():
    rng = random.Random(0)
    seen = {augment_news("$AAPL up 3% after @tim keynote", rng) for _ in range(200)}
    assert "$AAPL up 3% after @tim keynote" in seen
    assert "AAPL up 3% after @tim keynote" in seen
    assert any("$" not in s and "AAPL" not in s for s in seen)
    assert augment_news("Fed holds rates", rng) == "Fed holds rates"
