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
