"""``--compare``: two variants of the shipped model on the same records."""

from __future__ import annotations

import orjson
import pytest

from models.serving.runtime import Classifier
from stream.bench.rescore import write_news_file
from stream.rescore.run import RescoreJob, run_rescore
from stream.settings import Settings


@pytest.fixture(scope="module")
def fp16(tmp_path_factory) -> Classifier:
    return Classifier.load(
        provider="cpu", variant="fp16", threads=2, cache_dir=tmp_path_factory.mktemp("cache")
    )


def test_int8_vs_fp16_report_is_consistent(tmp_path, shipped_classifier, fp16):
    source = tmp_path / "news.jsonl"
    write_news_file(source, 120)
    out = tmp_path / "out.jsonl"
    job = RescoreJob(inputs=(str(source),), out=str(out), compare=tmp_path, chunk_size=32)
    summary = run_rescore(Settings(), job, classifier=shipped_classifier, other=fp16.scorer("news"))
    report = summary.comparison
    assert report is not None
    assert report["model_a"].endswith("/int8") and report["model_b"].endswith("/fp16")
    matrix = report["confusion"]["news"]["rows_a_cols_b"]
    labels = report["confusion"]["news"]["labels"]
    total = sum(map(sum, matrix))
    agree = sum(matrix[i][i] for i in range(len(labels)))
    assert total == report["records"] == summary.scored == 120
    assert report["agreement"] == pytest.approx(agree / total)
    assert sum(report["label_flips"].values()) == total - agree
    assert report["agreement"] > 0.9  # variants of one model mostly agree
    # the largest shifts are sorted and are really B - A for those records
    shifts = report["largest_shifts"]
    assert [abs(s["shift"]) for s in shifts] == sorted((abs(s["shift"]) for s in shifts),
                                                       reverse=True)  # fmt: skip
    scored = {r["id"]: r for r in map(orjson.loads, out.read_bytes().splitlines())}
    top = shifts[0]
    assert scored[top["id"]]["score"] == pytest.approx(top["score_a"])
    again = fp16.scorer("news").score_batch([top["text"]])[0].score
    assert top["score_b"] == pytest.approx(again, abs=0.02)
    # per-topic mean shift covers every topic of the scored records
    topics = {t for r in scored.values() for t in r["topics"]}
    assert {row["topic"] for row in report["topic_mean_shift"]} == topics
    ticker_mentions = sum(t.startswith("ticker:") for r in scored.values() for t in r["topics"])
    assert ticker_mentions >= 120  # every record names a company, some two
    assert sum(row["records"] for row in report["topic_mean_shift"] if
               row["topic"].startswith("ticker:")) == ticker_mentions  # fmt: skip
