"""Durable alert delivery: a webhook that fails, then hangs, then refuses, then recovers —
every alert the worker raised arrives, once or a few times, none lost."""

from __future__ import annotations

import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import orjson
import pytest

from stream.demo.sample import sample_feed
from stream.kafka.broker import free_port
from stream.kafka.tail import read_topic

from .helpers import metric, scored_ids, send_feed
from .monitoring import wait_for

pytestmark = [pytest.mark.kafka, pytest.mark.slow, pytest.mark.chaos]


class Receiver:
    """500 for the first ``fail_s``, then hangs past the client timeout, then 503, then 200."""

    def __init__(self, fail_s: float, hang_s: float, refuse_s: float) -> None:
        self.started = time.monotonic()
        self.phases = (fail_s, fail_s + hang_s, fail_s + hang_s + refuse_s)
        self.accepted: Counter[str] = Counter()
        self.attempts = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.attempts += 1
                age = time.monotonic() - receiver.started
                if age < receiver.phases[0]:
                    status = 500
                elif age < receiver.phases[1]:
                    time.sleep(3)  # the worker's timeout is 1 s
                    status = 503
                elif age < receiver.phases[2]:
                    status = 503
                else:
                    status = 200
                    receiver.accepted[orjson.loads(body)["alert_id"]] += 1
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.port = free_port()
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def test_a_webhook_outage_delays_alerts_and_loses_none(cluster):
    receiver = Receiver(fail_s=25, hang_s=8, refuse_s=12)
    cluster.extra_env = {
        "FINSENTRY_DELIVERY__WEBHOOK_URL": f"http://127.0.0.1:{receiver.port}/hook",
        "FINSENTRY_DELIVERY__TIMEOUT_S": "1",
        "FINSENTRY_DELIVERY__BACKOFF_S": "0.5",
        "FINSENTRY_DELIVERY__MAX_ATTEMPTS": "3",
    }
    _, port, _ = cluster.start_worker()
    feed = sample_feed(minutes=45, seed=11)
    send_feed(cluster, feed, malformed=False)
    expected = {r["id"] for r in feed.news} | {r["id"] for r in feed.transactions}
    scored_ids(cluster.kafka, expected, timeout_s=240)
    alerts = read_topic(cluster.kafka, cluster.kafka.topics.alerts, timeout_s=20, idle_s=5)
    ids = {a["alert_id"] for a in alerts}
    assert len(ids) >= 4, alerts  # the feed's surge, risk spike and their resolutions
    try:
        delivered = wait_for(lambda: ids <= set(receiver.accepted), 150, interval_s=2)
        assert delivered, (sorted(ids - set(receiver.accepted)), receiver.attempts)
        assert max(receiver.accepted.values()) <= 2  # no storm of repeats on recovery
        assert receiver.attempts > len(ids)  # the outage was real: pushes were refused
        assert metric(port, "finsentry_alert_deliveries_total", {"outcome": "failed"}) >= 1
        assert metric(port, "finsentry_alert_deliveries_total", {"outcome": "expired"}) == 0
    finally:
        receiver.server.shutdown()
