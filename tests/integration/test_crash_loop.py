"""kill -9 again and again mid-backlog: every record scored, windows still count each once."""

from __future__ import annotations

import os
import signal
import time

import pytest

from stream.demo.sample import sample_feed

from .helpers import assert_windows_match, metric, scored_ids, send_feed

pytestmark = [pytest.mark.kafka, pytest.mark.slow, pytest.mark.chaos]

KILLS = 3


def _scored_so_far(port: int) -> float:
    try:
        return metric(port, "finsentry_records_scored_total")
    except Exception:  # not serving yet
        return 0.0


def test_kill_9_in_a_loop_loses_nothing_and_windows_stay_exact(cluster):
    feed = sample_feed(minutes=50, seed=23, news_per_min=60, tx_per_min=80)
    cluster.extra_env = {  # commits lag outputs, so each kill leaves redeliveries behind
        "FINSENTRY_KAFKA__COMMIT_INTERVAL_S": "3",
        "FINSENTRY_KAFKA__COMMIT_EVERY": "100000",
    }
    expected = {r["id"] for r in feed.news} | {r["id"] for r in feed.transactions}
    proc, port, _ = cluster.start_worker()
    send_feed(cluster, feed, malformed=False)
    for kill in range(KILLS):
        # each life scores some more of the backlog (redeliveries included), then dies
        deadline = time.monotonic() + 180
        while (done := _scored_so_far(port)) < len(expected) * 0.15:
            assert time.monotonic() < deadline, f"life {kill} scored too little: {done}"
            time.sleep(0.2)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        proc, port, _ = cluster.start_worker()
    scored = scored_ids(cluster.kafka, expected, timeout_s=300)
    assert expected <= {r["id"] for r in scored}
    assert len(scored) > len(expected), "no redelivery happened: the kills tested nothing"
    assert_windows_match(cluster, scored)
    assert _scored_so_far(port) > 0, "the last life had nothing left: the kills were too late"
