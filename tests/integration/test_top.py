"""``finsentry top --once`` on a real worker fed the sample feed, then with the worker gone."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from stream.worker.process import stop_worker

from .helpers import metric, scored_ids, send_feed
from .monitoring import wait_for

pytestmark = [pytest.mark.kafka, pytest.mark.slow]


def _top(cluster, url: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        **cluster.env(),
        "FINSENTRY_KAFKA__BOOTSTRAP_SERVERS": cluster.broker.bootstrap,
        "COLUMNS": "80",
        "LINES": "24",
    }
    return subprocess.run(
        [sys.executable, "-m", "stream", "top", "--once", "--metrics-url", url],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_top_once_shows_the_surge_alert_and_the_ticker_row_then_the_worker_gone(cluster):
    from stream.demo.sample import sample_feed

    proc, port, _ = cluster.start_worker()
    feed = sample_feed(minutes=37, seed=11, surge_at=34, surge_len=3)  # still firing at the end
    send_feed(cluster, feed, malformed=True)
    expected = {r["id"] for r in feed.news} | {r["id"] for r in feed.transactions}
    scored_ids(cluster.kafka, expected, timeout_s=240)
    firing = {"rule": "negative_surge", "topic": "ticker:JPM"}
    assert wait_for(lambda: metric(port, "finsentry_alert_firing", firing) == 1, 60)
    url = f"http://127.0.0.1:{port}/metrics"
    shown = _top(cluster, url)
    assert shown.returncode == 0, shown.stderr
    screen = shown.stdout
    lines = screen.rstrip("\n").split("\n")
    assert len(lines) <= 24 and max(len(line) for line in lines) <= 80, screen
    assert "FIRING negative_surge on ticker:JPM" in screen, screen
    assert "value " in screen  # read from the alerts topic
    rows = [line for line in lines if line.lstrip().startswith("ticker:JPM")]
    assert rows, screen
    assert "dead letters 5" in screen  # the feed's malformed records
    stop_worker(proc)
    gone = _top(cluster, url)
    assert gone.returncode == 0
    assert "is not answering" in gone.stdout and "Traceback" not in gone.stdout + gone.stderr
