"""``rescore --backtest DIR --plot``: valid PNGs whose alert markers are the transitions."""

from __future__ import annotations

import csv

import orjson
from matplotlib import image

from stream.demo.sample import sample_feed
from stream.rescore.plots import plot_backtest
from stream.rescore.run import RescoreJob, run_rescore
from stream.settings import Settings


def test_every_subject_that_alerted_gets_a_chart_with_its_transitions(tmp_path, shipped_classifier):
    feed = sample_feed(minutes=45, seed=11)
    source = tmp_path / "news.jsonl"
    source.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in feed.news))
    backtest = tmp_path / "bt"
    summary = run_rescore(
        Settings(),
        RescoreJob(inputs=(str(source),), out=str(tmp_path / "out.jsonl"), backtest=backtest,
                   plot=True, chunk_size=256),
        classifier=shipped_classifier,
    )  # fmt: skip
    with (backtest / "alerts.csv").open() as fh:
        transitions = list(csv.DictReader(fh))
    subjects = {row["topic"] for row in transitions}
    assert "ticker:JPM" in subjects  # the injected surge
    pngs = sorted((backtest / "plots").glob("*.png"))
    assert summary.charts == len(pngs) == len(subjects)
    for png in pngs:
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        height, width, _ = image.imread(png).shape
        assert width > 600 and height > 400
    # each chart's markers are exactly that subject's transitions, in order
    charts = plot_backtest(backtest, "csv", ())
    for chart in charts:
        expected = [
            (r["rule"], r["state"], r["at"]) for r in transitions if r["topic"] == chart.subject
        ]
        assert list(chart.markers) == expected
    jpm = next(c for c in charts if c.subject == "ticker:JPM")
    assert jpm.path.name == "ticker_JPM.png"
    assert ("negative_surge", "firing") in {(rule, state) for rule, state, _ in jpm.markers}
