"""``finsentry eval`` on the shipped model: a whole file, or one half of a validation split."""

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


def test_requantize_rewrites_a_model_directory_in_one_line(tmp_path):
    import shutil

    from models.serving.manifest import Manifest
    from models.serving.runtime import shipped_model_dir

    target = tmp_path / "model"
    shutil.copytree(shipped_model_dir(), target)
    run = CliRunner().invoke(finsentry, ["requantize", "--model-dir", str(target)])
    assert run.exit_code == 0, run.output
    assert "integer weights identical" in " ".join(run.output.split())
    Manifest.load(target).verify()
    missing = CliRunner().invoke(finsentry, ["requantize", "--model-dir", str(tmp_path / "none")])
    assert missing.exit_code != 0 and "Traceback" not in missing.output
