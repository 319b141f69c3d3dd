"""``/metrics``, ``/healthz`` and ``/readyz`` over real HTTP."""

from __future__ import annotations

import httpx
from prometheus_client import CollectorRegistry, Counter

from exporters.http import Health, serve
from stream.kafka.broker import free_port


def test_probes_follow_the_worker_state():
    registry = CollectorRegistry()
    Counter("demo_things", "things", registry=registry).inc()
    health = Health(stale_s=30)
    port = free_port()
    server = serve(registry, health, "127.0.0.1", port)
    base = f"http://127.0.0.1:{port}"
    try:
        assert "demo_things_total 1.0" in httpx.get(f"{base}/metrics").text
        assert httpx.get(f"{base}/healthz").status_code == 200
        not_ready = httpx.get(f"{base}/readyz")
        assert not_ready.status_code == 503
        assert not_ready.json()["model_loaded"] is False
        health.model_loaded = True
        assert httpx.get(f"{base}/readyz").status_code == 503  # no partitions yet
        health.assigned_partitions = 3
        assert httpx.get(f"{base}/readyz").status_code == 200
        health.last_beat -= 60  # the event loop stopped beating
        assert httpx.get(f"{base}/healthz").status_code == 503
        assert httpx.get(f"{base}/readyz").status_code == 503
        health.beat()
        health.problem = "model not loaded: hash mismatch"
        assert httpx.get(f"{base}/healthz").json()["problem"].startswith("model not loaded")
        assert httpx.get(f"{base}/nope").status_code == 404
    finally:
        server.shutdown()


def test_readiness_follows_the_broker_and_liveness_does_not():
    health = Health(stale_s=30, broker_stale_s=15, model_loaded=True, assigned_partitions=2)
    assert health.ready()[0]
    health.broker_failed("no answer from Kafka at k:9092 (KafkaConnectionError)")
    assert health.ready()[0]  # one failed call is not an outage yet
    health.broker_seen -= 20  # 20 s without an answer
    ready, detail = health.ready()
    assert not ready and detail["broker_problem"].startswith("no answer from Kafka")
    assert health.alive()[0]  # restarting the worker would not bring the broker back
    health.broker_answered()
    assert health.ready() == (True, {**health.ready()[1], "broker_problem": None})
