"""The worker's HTTP endpoints: ``/metrics``, ``/healthz`` (alive) and ``/readyz`` (ready).

Served from a small thread so that a busy or stuck event loop cannot hide the metrics; the
event loop proves it is alive by calling ``Health.beat()`` on a timer, and ``/healthz`` fails
once the last beat is older than ``stale_s``.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import orjson
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

__all__ = ["Health", "serve"]

log = logging.getLogger(__name__)


@dataclass
class Health:
    """What the probes report; set by the worker, read by the HTTP thread."""

    stale_s: float = 30.0
    broker_stale_s: float = 15.0  # not ready after this long without a broker answer
    model_loaded: bool = False
    assigned_partitions: int = 0
    last_beat: float = field(default_factory=time.monotonic)
    problem: str | None = None  # e.g. the model failed to load
    broker_seen: float = field(default_factory=time.monotonic)
    broker_problem: str | None = None
    model_refused: str | None = None  # a promoted version not served (still ready)

    def beat(self) -> None:
        self.last_beat = time.monotonic()

    def broker_answered(self) -> None:
        self.broker_seen = time.monotonic()
        self.broker_problem = None

    def broker_failed(self, why: str) -> None:
        self.broker_problem = why

    def alive(self) -> tuple[bool, dict[str, Any]]:
        age = time.monotonic() - self.last_beat
        ok = age <= self.stale_s and self.problem is None
        return ok, {"event_loop_beat_age_s": round(age, 1), "problem": self.problem}

    def ready(self) -> tuple[bool, dict[str, Any]]:
        """Alive, model loaded, partitions assigned, and the broker answered lately (liveness
        does not depend on the broker: restarting the worker would not bring it back)."""
        alive, detail = self.alive()
        broker_age = time.monotonic() - self.broker_seen
        broker_ok = broker_age <= self.broker_stale_s
        ok = alive and self.model_loaded and self.assigned_partitions > 0 and broker_ok
        return ok, {
            **detail,
            "model_loaded": self.model_loaded,
            "assigned_partitions": self.assigned_partitions,
            "broker_answer_age_s": round(broker_age, 1),
            "broker_problem": None if broker_ok else self.broker_problem or "no answer",
            "model_refused": self.model_refused,
        }


def _handler(registry: CollectorRegistry, health: Health) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            if path == "/metrics":
                self._send(200, generate_latest(registry), CONTENT_TYPE_LATEST)
            elif path in ("/healthz", "/readyz"):
                ok, detail = health.alive() if path == "/healthz" else health.ready()
                body = orjson.dumps({"status": "ok" if ok else "unavailable", **detail})
                self._send(200 if ok else 503, body, "application/json")
            else:
                self._send(404, b"not found: try /metrics, /healthz or /readyz\n", "text/plain")

        def _send(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            log.debug("http: " + format, *args)

    return Handler


def serve(registry: CollectorRegistry, health: Health, host: str, port: int) -> ThreadingHTTPServer:
    """Start serving in a daemon thread; ``server.shutdown()`` stops it."""
    server = ThreadingHTTPServer((host, port), _handler(registry, health))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="finsentry-http", daemon=True).start()
    log.info("metrics and probes on http://%s:%d/ (metrics, healthz, readyz)", host, port)
    return server
