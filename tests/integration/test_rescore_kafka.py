"""``finsentry rescore`` over Kafka ranges of the real embedded broker: the range is read
exactly, and ``--backtest`` raises the alerts the worker raised on the same records."""

from __future__ import annotations

import csv
from collections import defaultdict

import orjson
import pytest

from stream.demo.sample import sample_feed
from stream.kafka.produce import produce
from stream.kafka.tail import read_topic
from stream.rescore.kafka_range import parse_bound, resolve_range
from stream.rescore.run import RescoreJob, run_rescore

from .helpers import scored_ids, send_feed

pytestmark = [pytest.mark.kafka, pytest.mark.slow]


def _transitions(rows):
    """(rule, topic) -> the sequence of states, in order."""
    out = defaultdict(list)
    for row in rows:
        out[(row["rule"], row["topic"])].append(row["state"])
    return dict(out)


def test_backtest_over_kafka_ranges_equals_the_workers_alerts(cluster, tmp_path,
                                                              shipped_classifier):  # fmt: skip
    feed = sample_feed(minutes=45, seed=11)
    cluster.start_worker()
    # one partition per input topic: the worker then meets the records in the backtest's order.
    # Across partitions a topic fed by several keys (sector:, country:) sees them interleaved
    # as they arrive, and a level rule can cross its threshold on the way in one order only.
    t = cluster.kafka.topics
    produce(
        cluster.kafka,
        t.news,
        [orjson.dumps(r) for r in feed.news] + feed.malformed_news,
        key=b"replay",
    )
    produce(cluster.kafka, t.transactions,
            [orjson.dumps(r) for r in feed.transactions] + feed.malformed_transactions,
            key=b"replay")  # fmt: skip
    expected = {r["id"] for r in feed.news} | {r["id"] for r in feed.transactions}
    scored_ids(cluster.kafka, expected, timeout_s=240)
    worker_alerts = read_topic(cluster.kafka, cluster.kafka.topics.alerts, timeout_s=20, idle_s=5)
    assert worker_alerts, "the feed's surge must make the worker alert"

    backtest_rows = []
    for topic, records in ((t.news, feed.news), (t.transactions, feed.transactions)):
        out = tmp_path / f"{topic}.jsonl"
        summary = run_rescore(
            cluster.settings,
            RescoreJob(topic=topic, out=str(out), backtest=tmp_path / f"bt-{topic}",
                       chunk_size=200),
            classifier=shipped_classifier,
        )  # fmt: skip
        ids = [orjson.loads(line)["id"] for line in out.read_bytes().splitlines()]
        assert sorted(ids) == sorted(r["id"] for r in records)  # the whole range, once each
        assert summary.rejected > 0  # the feed's malformed records, with reasons
        with (tmp_path / f"bt-{topic}" / "alerts.csv").open() as fh:
            backtest_rows += list(csv.DictReader(fh))
    assert _transitions(backtest_rows) == _transitions(worker_alerts)


def test_offset_bounds_select_a_partial_range(cluster, tmp_path, shipped_classifier):
    feed = sample_feed(minutes=3, seed=2)
    send_feed(cluster, feed, malformed=False)
    t = cluster.kafka.topics
    whole = resolve_range(cluster.kafka, t.news, parse_bound("earliest"), parse_bound("latest"))
    assert sum(hi - lo for lo, hi in whole.values()) == len(feed.news)
    p = max(whole, key=lambda k: whole[k][1])
    out = tmp_path / "part.jsonl"
    summary = run_rescore(
        cluster.settings,
        RescoreJob(topic=t.news, start=f"{p}:2", end=f"{p}:6", out=str(out)),
        classifier=shipped_classifier,
    )
    sources = [orjson.loads(line)["source"] for line in out.read_bytes().splitlines()]
    # partition p from offset 2 up to 6 (exclusive); other partitions: nothing (start=end)
    assert sources == [f"{t.news}[{p}]@{o}" for o in range(2, 6)]
    assert summary.read == 4
