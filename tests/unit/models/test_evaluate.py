"""``finsentry eval``'s report on the shipped model: plain texts, and one it cannot score."""

from __future__ import annotations

from models.datasets import LabelledTexts
from models.evaluate import evaluate
from models.tasks import NEWS


def test_plain_headlines_are_classified_and_unscorable_texts_counted(shipped_classifier):
    texts = (
        "Company shares plunge after fraud probe and profit warning",
        "Record profit: company beats estimates and raises its outlook",
        "Board meeting scheduled for Tuesday",
        "   ",
    )
    data = LabelledTexts(texts, (0, 2, 1, 1), NEWS)
    report, unscored = evaluate(shipped_classifier, data)
    assert unscored == 1  # the blank one
    assert report.accuracy == 1.0 and sum(report.support) == 3
    assert report.labels == NEWS.labels
