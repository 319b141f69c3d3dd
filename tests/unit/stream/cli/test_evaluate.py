"""``finsentry eval`` on the shipped model: a whole file, one half of a validation split, and
a paired comparison with another model (``--against``)."""

from __future__ import annotations

import orjson
from typer.testing import CliRunner

from models.datasets import held_out_halves, load_labelled
from models.tasks import NEWS
from stream.cli import app as finsentry


def test_eval_reports_a_half_of_the_validation_split_and_writes_json_and_png(tmp_path, news_csv):
    results = {}
    for half in ("all", "dev", "test"):
        out = tmp_path / f"{half}.json"
        run = CliRunner().invoke(
            finsentry, ["eval", "--data", str(news_csv), "--half", half, "--json", str(out)]
        )
        assert run.exit_code == 0, run.output
        results[half] = orjson.loads(out.read_bytes())
        assert out.with_suffix(".png").stat().st_size > 10_000
    dev, test = held_out_halves(load_labelled(news_csv, NEWS))
    assert sum(results["dev"]["per_class"][c]["support"] for c in NEWS.labels) == len(dev)
    assert sum(results["test"]["per_class"][c]["support"] for c in NEWS.labels) == len(test)
    assert len(dev) + len(test) == sum(
        results["all"]["per_class"][c]["support"] for c in NEWS.labels
    )
    assert results["test"]["half"] == "test" and 0 <= results["test"]["ece"] <= 1
    low, high = results["test"]["ece_interval_90"]
    assert 0 <= low <= high <= 1 and 0 < results["test"]["ece_perfect_floor"] < 1
    bad = CliRunner().invoke(finsentry, ["eval", "--data", str(news_csv), "--half", "train"])
    assert bad.exit_code == 2 and "use all, dev or test" in bad.output


def test_eval_against_another_model_pairs_the_same_texts(tmp_path, news_csv, model_versions):
    def against(model_dir):
        out = tmp_path / f"{model_dir.name}.json"
        run = CliRunner().invoke(
            finsentry,
            ["eval", "--data", str(news_csv), "--against", str(model_dir), "--json", str(out)],
        )
        assert run.exit_code == 0, run.output
        assert out.with_suffix(".png").stat().st_size > 10_000
        return " ".join(run.output.split()), orjson.loads(out.read_bytes())

    # the shipped model with a hotter temperature: the same answers, other confidences
    output, result = against(model_versions("hotter", temperature=3.0))
    assert "McNemar exact p = 1.000" in output
    paired = result["against"]
    texts = sum(result["per_class"][c]["support"] for c in NEWS.labels)
    assert paired["texts"] == texts and paired["model_dir"].endswith("hotter")
    assert (paired["only_this_right"], paired["only_other_right"]) == (0, 0)
    accuracy = paired["differences"]["accuracy"]
    assert accuracy["this"] == result["accuracy"] and accuracy["delta"] == 0
    assert accuracy["interval_90"] == [0, 0]
    ece = paired["differences"]["ece"]
    assert ece["this"] == round(result["ece"], 4) and ece["interval_90"][1] < 0  # T 3: too shy
    # a much worse model: negative and positive swapped in its news head
    output, result = against(model_versions("swapped", swap_news_classes=True))
    paired = result["against"]
    assert paired["only_this_right"] > max(100, 10 * paired["only_other_right"])
    assert paired["differences"]["macro_f1"]["interval_90"][0] > 0.2
    assert paired["mcnemar_p"] < 0.001 and "McNemar exact p = 0.000" in output
