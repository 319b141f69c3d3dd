"""A broker restart on durable storage (Tansu on SeaweedFS's S3): the worker rides it out,
says it is not ready while the broker is gone, and afterwards nothing is lost or counted twice.
"""

from __future__ import annotations

import time

import httpx
import pytest

from stream.demo.sample import sample_feed

from .conftest import Cluster
from .durable import durable_broker, seaweedfs
from .helpers import assert_windows_match, scored_ids, send_feed

pytestmark = [pytest.mark.kafka, pytest.mark.slow, pytest.mark.chaos]


def _ready(port: int) -> int | None:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=3).status_code
    except httpx.TransportError:
        return None


def _wait_ready(port: int, want: int, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if _ready(port) == want:
            return True
        time.sleep(0.5)
    return False


def test_a_broker_restart_on_durable_storage_keeps_every_record_and_window(tmp_path):
    with seaweedfs(tmp_path) as s3:
        broker = durable_broker(tmp_path, s3).start()
        cluster = Cluster(broker, tmp_path)
        cluster.extra_env = {"FINSENTRY_KAFKA__UNREACHABLE_AFTER_S": "4"}
        try:
            proc, port, log = cluster.start_worker()
            before = sample_feed(minutes=15, seed=13, id_prefix="a-")
            send_feed(cluster, before, malformed=False)
            first = {r["id"] for r in before.news} | {r["id"] for r in before.transactions}
            assert first <= {r["id"] for r in scored_ids(cluster.kafka, first, 240)}
            assert _wait_ready(port, 200, 30)

            broker.stop()
            assert _wait_ready(port, 503, 30), "readiness must reflect the broker being gone"
            time.sleep(5)
            broker.start()  # same port, same bucket
            assert _wait_ready(port, 200, 90), "the worker must come back by itself"
            assert proc.poll() is None

            after = sample_feed(minutes=15, seed=17, id_prefix="b-")
            send_feed(cluster, after, malformed=False)
            second = {r["id"] for r in after.news} | {r["id"] for r in after.transactions}
            scored = scored_ids(cluster.kafka, first | second, 240)
            # what was written before the restart is still there; what came after is scored
            assert first | second <= {r["id"] for r in scored}
            assert_windows_match(cluster, scored)
            assert proc.poll() is None, log.read_text()[-2000:]
        finally:
            cluster.stop()
            broker.stop()
