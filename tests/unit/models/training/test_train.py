"""Training (a few steps on a tiny subset of the project's own headlines), on the real stack."""

from __future__ import annotations

from dataclasses import fields, replace
from pathlib import Path

import numpy as np
import orjson
import pytest

from models.datasets import held_out_halves, stratified_split
from models.errors import ModelError, TrainingDataError
from models.metrics import classification_report
from models.serving.manifest import Manifest
from models.tasks import NEWS
from models.training.distill import (
    TEMPLATE_CONFIDENCE,
    average_log_probabilities,
    combine_teachers,
    exported_logits,
    label_logits,
    soft_labels,
)
from models.training.export import ExportConfig, export_model
from models.training.train import (
    TrainConfig,
    _load_task_data,
    _training_sets,
    check_config,
    epoch_score,
    train,
)

pytestmark = pytest.mark.slow


def _student(news_csv, out_dir, **changes) -> TrainConfig:
    """A news-only student of a few steps on the tiny subset the `trained` teacher used."""
    return TrainConfig(
        tasks=("news",),
        news_data=news_csv,
        out_dir=out_dir,
        max_examples_per_task=64,
        epochs=1,
        max_steps=2,
        threads=2,
        **changes,
    )


def test_training_writes_encoder_heads_and_split(trained):
    assert (trained / "encoder" / "model.safetensors").is_file()
    assert (trained / "heads.npz").is_file()
    assert (trained / "validation" / "news.jsonl").read_text().count("\n") > 5
    assert (trained / "training.json").is_file()


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"select_on": "test"}, "--select-on 'test'"),
        ({"select_task": "transactions"}, "--select-task 'transactions'"),
        ({"teachers": (Path("build/teacher"),), "distill_weight": 1.5}, "--distill-weight"),
    ],
)
def test_options_wrong_on_their_own_fail_before_any_data_loads(tmp_path, change, says):
    missing = tmp_path / "no-such-data.csv"  # loading it would fail with another message
    config = TrainConfig(tasks=("news",), news_data=missing, out_dir=tmp_path / "o", **change)
    with pytest.raises(ModelError, match=says):
        train(config)
    assert not (tmp_path / "o").exists()
    defaults = {f.name: f.default for f in fields(TrainConfig) if f.name in change}
    check_config(replace(config, **defaults))  # the same config, that option left alone: fine


def test_training_data_with_unknown_labels_is_refused(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("text,label\nup,bullish\ndown,sideways\n")
    with pytest.raises(TrainingDataError, match="sideways"):
        train(TrainConfig(tasks=("news",), news_data=bad, out_dir=tmp_path / "o"))


def test_missing_news_data_says_where_to_get_it(tmp_path):
    config = TrainConfig(tasks=("news",), news_data=tmp_path / "tfns", out_dir=tmp_path / "o")
    with pytest.raises(TrainingDataError, match=r"twitter-financial-news-sentiment.*--data PATH"):
        train(config)


def test_training_data_without_a_text_column_is_refused(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"sentence_text": "x", "label": 0}\n')
    with pytest.raises(TrainingDataError, match="no text column"):
        train(TrainConfig(tasks=("news",), news_data=bad, out_dir=tmp_path / "o"))


def test_training_on_cuda_without_a_gpu_says_what_to_do(tmp_path, news_csv, monkeypatch):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(ModelError, match="--device cpu"):
        train(TrainConfig(tasks=("news",), news_data=news_csv, device="cuda", out_dir=tmp_path))


def test_a_student_distils_from_a_trained_teacher(trained, tmp_path, news_csv):
    config = _student(news_csv, tmp_path / "student", teachers=(trained,), distill_weight=1.0)
    result = train(config)
    assert set(result.reports) == {"news"}
    meta = orjson.loads((tmp_path / "student" / "training.json").read_bytes())
    assert meta["config"]["teachers"] == [str(trained)]  # provenance travels to the manifest
    (cached,) = (trained / "logits").glob("news-*.npy")  # the teacher's pass, kept for reruns
    train_part, _ = stratified_split(_load_task_data(NEWS, config), 0.2, config.seed)
    assert np.load(cached).shape == (len(train_part), 3)
    # edited copies join the transfer set, each with the teacher's own logits
    train(replace(config, transfer_copies=2, out_dir=tmp_path / "copies"))
    (grown,) = {p for p in (trained / "logits").glob("news-*.npy")} - {cached}
    logits = np.load(grown)
    assert logits.shape == (3 * len(train_part), 3)
    np.testing.assert_allclose(logits[: len(train_part)], np.load(cached), atol=1e-4)
    assert not np.allclose(logits[len(train_part) :], np.tile(np.load(cached), (2, 1)), atol=1e-4)
    # the teacher held out exactly this split; another seed's split would overlap its training
    with pytest.raises(ModelError, match="same --seed"):
        train(replace(config, seed=config.seed + 1, out_dir=tmp_path / "other"))


def test_newswire_text_joins_training_and_the_epoch_is_picked_on_the_dev_half(
    trained, tmp_path, news_csv, loose_gates
):
    config = _student(
        news_csv,
        tmp_path / "newswire",
        teachers=(trained,),
        detweet_copies=True,
        report_sentences=30,
        select_on="dev",
        select_task="news",
    )
    result = train(config)
    meta = orjson.loads((tmp_path / "newswire" / "training.json").read_bytes())
    assert (meta["selected_on"], meta["config"]["select_task"]) == ("dev", "news")
    assert (meta["config"]["report_sentences"], meta["config"]["detweet_copies"]) == (30, True)
    # the figures training chose on are the dev half's: the test half stays unseen
    _, validation = stratified_split(_load_task_data(NEWS, config), 0.2, config.seed)
    dev, _ = held_out_halves(validation)
    assert sum(result.reports["news"].support) == len(dev) < len(validation)
    # the teacher scored every text the student trained on, the 30 report sentences included
    train_part, _ = stratified_split(_load_task_data(NEWS, config), 0.2, config.seed)
    sizes = {np.load(p).shape[0] for p in (trained / "logits").glob("news-*.npy")}
    assert max(sizes) >= len(train_part) + 30
    with pytest.raises(ModelError, match="--select-on"):
        train(replace(config, select_on="test", out_dir=tmp_path / "bad"))
    with pytest.raises(ModelError, match="--select-task 'transactions'"):
        train(replace(config, select_task="transactions", out_dir=tmp_path / "bad"))
    # the model card says what picked the epoch
    export_model(
        ExportConfig(train_dir=tmp_path / "newswire", out_dir=tmp_path / "m", **loose_gates)
    )
    card = (tmp_path / "m" / "MODEL_CARD.md").read_text()
    assert "dev half of the validation split" in card and "news task's macro-F1 alone" in card


def test_one_task_can_pick_the_epoch_instead_of_the_mean():
    news = classification_report([0, 1, 2, 2], [0, 1, 2, 0], NEWS.labels)  # 3 of 4 right
    perfect = classification_report([0, 1, 2], [0, 1, 2], ("low", "medium", "high"))
    reports = {"news": news, "transactions": perfect}
    assert epoch_score(reports, None) == pytest.approx((news.macro_f1 + 1.0) / 2)
    assert epoch_score(reports, "news") == news.macro_f1 < epoch_score(reports, None)


def test_an_exported_model_teaches_and_report_sentences_learn_from_their_templates(
    trained, tmp_path, news_csv, loose_gates
):
    teacher = tmp_path / "teacher"
    export_model(
        ExportConfig(
            train_dir=trained,
            out_dir=teacher,
            **loose_gates,
        )
    )
    config = _student(
        news_csv,
        tmp_path / "born-again",
        teachers=(teacher,),
        transfer_copies=1,
        detweet_copies=True,
        report_sentences=30,
    )
    train(config)
    meta = orjson.loads((tmp_path / "born-again" / "training.json").read_bytes())
    # the teacher's version travels to the manifest: its folder may serve another model later
    assert meta["teachers"][0]["version"] == Manifest.load(teacher).version
    train_sets, val_sets, report_rows = _training_sets(config, [NEWS])
    news = train_sets["news"]
    rows = report_rows["news"]
    assert len(rows) == 30 and rows.stop == len(news)  # the report sentences come last
    soft = soft_labels(
        teacher,
        train_sets,
        val_sets,
        news_data=news_csv,
        max_length=128,
        device="cpu",
        report_rows=report_rows,
    )["news"]
    assert soft.shape == (len(news), 3)
    # the teacher never trained on report sentences: their templates teach them
    templated = [news.labels[i] for i in rows]
    np.testing.assert_allclose(soft[rows.start :], label_logits(templated, 3, TEMPLATE_CONFIDENCE))
    # every other text (tweets, their edited and newswire copies) gets the teacher's own logits
    own = exported_logits(teacher, {"news": news.texts[: rows.start]})["news"]
    np.testing.assert_allclose(soft[: rows.start], own, atol=1e-5)
    assert not (teacher / "logits").exists()  # nothing written into a model directory
    # its held-out split is rebuilt from its manifest: another seed's would overlap its training
    with pytest.raises(ModelError, match="same --seed"):
        train(replace(config, seed=config.seed + 1, out_dir=tmp_path / "other"))


def test_two_teachers_teach_their_averaged_log_probabilities(
    trained, tmp_path, news_csv, loose_gates
):
    exported = tmp_path / "exported-teacher"
    export_model(ExportConfig(train_dir=trained, out_dir=exported, **loose_gates))
    config = _student(news_csv, tmp_path / "ensemble", teachers=(trained, exported))
    train(config)
    meta = orjson.loads((tmp_path / "ensemble" / "training.json").read_bytes())
    assert meta["config"]["teachers"] == [str(trained), str(exported)]
    assert [("version" in t) for t in meta["teachers"]] == [False, True]
    train_sets, val_sets, _ = _training_sets(config, [NEWS])
    each = [
        soft_labels(t, train_sets, val_sets, news_data=news_csv, max_length=128, device="cpu")
        for t in (trained, exported)
    ]
    both = combine_teachers(each)
    expected = average_log_probabilities([each[0]["news"], each[1]["news"]])
    np.testing.assert_allclose(both["news"], expected, atol=1e-6)
    assert not np.allclose(each[0]["news"], each[1]["news"], atol=1e-3)  # two opinions
    assert combine_teachers(each[:1]) is each[0]  # one teacher: its own logits, untouched
    # the model card names both teachers
    export_model(
        ExportConfig(train_dir=tmp_path / "ensemble", out_dir=tmp_path / "m", **loose_gates)
    )
    card = " ".join((tmp_path / "m" / "MODEL_CARD.md").read_text().split())
    assert "an ensemble of 2 teachers (their log-probabilities averaged)" in card
    assert f"the model trained in `{trained}`" in card and Manifest.load(exported).version in card
