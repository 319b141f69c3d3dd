"""Feedback rows as training data: added with a weight, never from the validation split."""

from __future__ import annotations

import orjson
import pytest

from models.datasets import LabelledTexts
from models.errors import TrainingDataError
from models.feedback import load_feedback, with_feedback
from models.tasks import NEWS


def test_rows_load_per_task_and_join_the_training_data_weighted(tmp_path):
    path = tmp_path / "fb.jsonl"
    rows = [
        {"kind": "news", "text": "Acme soars", "label": "positive"},
        {"kind": "news", "text": "held out text", "label": "negative"},
        {"kind": "transaction", "text": "wire payment of 9,500.00 USD", "label": "high"},
    ]
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in rows))
    sets = load_feedback(path)
    assert set(sets) == {"news", "transactions"} and sets["transactions"].labels == (2,)
    train = LabelledTexts(("a", "b"), (0, 1), NEWS, "sha")
    validation = LabelledTexts(("held out text",), (0,), NEWS)
    grown = with_feedback(train, sets["news"], 3, validation)
    assert grown.texts == ("a", "b", "Acme soars", "Acme soars", "Acme soars")
    assert grown.labels == (0, 1, 2, 2, 2) and grown.source_sha256 == "sha"


def test_a_bad_row_names_its_line(tmp_path):
    path = tmp_path / "fb.jsonl"
    path.write_bytes(b'{"kind": "news", "text": "x", "label": "positive"}\n{"kind": "news"}\n')
    with pytest.raises(TrainingDataError, match=r"fb.jsonl:2 is not a feedback row"):
        load_feedback(path)
    with pytest.raises(TrainingDataError, match="finsentry feedback export"):
        load_feedback(tmp_path / "missing.jsonl")
