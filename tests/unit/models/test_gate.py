"""The promotion gate on real models: the shipped one against copies of it."""

from __future__ import annotations

from models.datasets import LabelledTexts, load_labelled
from models.gate import promotion_gate
from models.serving.runtime import Classifier
from models.tasks import NEWS


def test_an_equal_model_passes_validation_a_worse_one_is_refused(
    shipped_classifier, model_versions, news_csv
):
    validation = {"news": load_labelled(news_csv, NEWS)}
    same = Classifier.load(model_versions("same", temperature=1.2), provider="cpu")
    worse = Classifier.load(model_versions("worse", swap_news_classes=True), provider="cpu")
    ok = promotion_gate(shipped_classifier, same, validation)
    assert ok.passed and ok.rows[0].delta == 0 and ok.rows[0].texts == 2000
    assert ok.rows[0].delta_interval == (0.0, 0.0)  # the same answers on the same texts
    refused = promotion_gate(shipped_classifier, worse, validation)
    assert not refused.passed and "points below" in refused.refusals[0]
    assert refused.rows[0].candidate_accuracy < refused.rows[0].current_accuracy - 0.2
    low, high = refused.rows[0].delta_interval
    assert low < refused.rows[0].delta < high < -0.2


def test_a_split_neither_model_can_score_is_refused_not_crashed(shipped_classifier):
    blank = LabelledTexts(("", "   "), (1, 1), NEWS)  # nothing to score in either
    result = promotion_gate(shipped_classifier, shipped_classifier, {"news": blank})
    assert result.refusals == ("news validation: the two models scored none of the same texts",)
    assert result.rows == ()


def test_feedback_must_improve_and_only_validation_has_a_tolerance(shipped_classifier):
    texts = ("Acme shares soar after record profit", "Acme plunges as fraud probe widens")
    right = LabelledTexts(texts, (2, 0), NEWS)
    wrong = LabelledTexts(texts, (0, 2), NEWS)  # what the serving model gets right is "wrong"
    result = promotion_gate(shipped_classifier, shipped_classifier, {"news": right},
                            {"news": wrong})  # fmt: skip
    assert [r.split for r in result.rows] == ["validation", "feedback"]
    assert result.refusals == (
        "news feedback accuracy 0.0000 is not above the serving model's 0.0000: the "
        "corrections are not learnt",
    )
