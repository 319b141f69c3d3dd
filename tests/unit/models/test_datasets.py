from collections import Counter
from pathlib import Path

import pytest

from models.datasets import load_labelled, stratified_split
from models.errors import TrainingDataError
from models.tasks import NEWS, TRANSACTIONS


def _csv(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "data.csv"
    path.write_text(body)
    return path


def test_tfns_numeric_scheme(tmp_path):
    data = load_labelled(_csv(tmp_path, "text,label\na,0\nb,1\nc,2\n"), NEWS)
    assert [NEWS.labels[i] for i in data.labels] == ["negative", "positive", "neutral"]


def test_label_names_and_jsonl(tmp_path):
    path = tmp_path / "d.jsonl"
    path.write_text(
        '{"headline": "x", "sentiment": "Bearish"}\n\n{"headline": "y", "sentiment": "neutral"}\n'
    )
    data = load_labelled(path, NEWS)
    assert data.labels == (0, 1)


def test_unknown_labels_say_which_and_what_is_accepted(tmp_path):
    with pytest.raises(TrainingDataError, match=r"unknown news labels 'meh' \(2x\).*accepted"):
        load_labelled(_csv(tmp_path, "text,label\na,meh\nb,meh\nc,0\n"), NEWS)


def test_missing_column_is_named(tmp_path):
    with pytest.raises(TrainingDataError, match="no label column"):
        load_labelled(_csv(tmp_path, "text,score\na,1\n"), NEWS)


def test_missing_file(tmp_path):
    with pytest.raises(TrainingDataError, match="does not exist"):
        load_labelled(tmp_path / "nope.csv", TRANSACTIONS)


def test_stratified_split_is_seeded_and_keeps_shares(news_csv):
    data = load_labelled(news_csv, NEWS)
    train, val = stratified_split(data, 0.2, seed=7)
    again, _ = stratified_split(data, 0.2, seed=7)
    assert train.texts == again.texts
    assert len(train) + len(val) == len(data)
    shares = {k: v / len(val) for k, v in Counter(val.labels).items()}
    full = {k: v / len(data) for k, v in Counter(data.labels).items()}
    for cls, share in full.items():
        assert abs(shares[cls] - share) < 0.01
