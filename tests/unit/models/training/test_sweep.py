"""The sweep picks on an inner split and never trains on the validation split."""

from __future__ import annotations

import pytest

from models.datasets import load_labelled, stratified_split
from models.tasks import NEWS
from models.training.sweep import run_sweep
from models.training.train import TrainConfig

pytestmark = pytest.mark.slow


def test_sweep_picks_on_an_inner_split_and_never_trains_on_validation(tmp_path):
    words = ["gains", "losses", "flat"] * 30
    rows = [f"headline number {i} about {w}" for i, w in enumerate(words)]
    data = tmp_path / "news.csv"
    data.write_text(
        "text,label\n"
        + "".join(f"{t},{['positive', 'negative', 'neutral'][i % 3]}\n" for i, t in enumerate(rows))
    )
    base = TrainConfig(
        tasks=("news",), news_data=data, epochs=1, max_steps=1, threads=1, device="cpu"
    )
    candidates = ({"learning_rate": 1e-4}, {"learning_rate": 2e-4, "label_smoothing": 0.1})
    report = run_sweep(base, tmp_path / "sweep", candidates=candidates, parallel=1)

    _, held_out = stratified_split(load_labelled(data, NEWS), 0.2, base.seed)
    inner = load_labelled(tmp_path / "sweep" / "news-train-part.csv", NEWS)
    assert not set(inner.texts) & set(held_out.texts)  # candidates never saw validation
    assert len(inner) + len(held_out) == len(rows)
    assert [r["candidate"] for r in report["inner_rows"]] == [0, 1]
    assert report["inner_rows"][1]["label_smoothing"] == 0.1
    assert report["winner"] in (0, 1)
    winner = candidates[report["winner"]]
    assert report["final_config"]["learning_rate"] == winner["learning_rate"]
    assert report["final_config"]["news_data"] == str(data)  # the winner trains the usual way
    assert (tmp_path / "sweep" / "final" / "training.json").is_file()
    final_val = (tmp_path / "sweep" / "final" / "validation" / "news.jsonl").read_text()
    assert final_val.count("\n") == len(held_out)
