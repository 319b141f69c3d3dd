"""Real Prometheus and Alertmanager processes for the integration tests."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from stream.kafka.broker import free_port, wait_for_port

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "deploy" / "prometheus" / "rules"


def _binary(*names: str) -> str:
    for name in names:
        path = shutil.which(name)
        if path:
            return path
    pytest.fail(f"{names[0]} not found: apt-get install prometheus prometheus-alertmanager")


@contextmanager
def _process(args: list[str], port: int, log: Path, what: str) -> Iterator[str]:
    with log.open("wb") as out:
        proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT)
        try:
            if not wait_for_port("127.0.0.1", port, 30):
                pytest.fail(f"{what} did not start: {log.read_text()[-2000:]}")
            yield f"http://127.0.0.1:{port}"
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()


@contextmanager
def prometheus(tmp: Path, targets: list[str]) -> Iterator[str]:
    """Prometheus scraping ``targets`` every second with the repo's alerting rules."""
    port = free_port()
    config = {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "rule_files": [str(p) for p in sorted(RULES.glob("*.yml"))],
        "scrape_configs": [{"job_name": "finsentry", "static_configs": [{"targets": targets}]}],
    }
    path = tmp / "prometheus.yml"
    path.write_text(yaml.safe_dump(config))
    args = [
        _binary("prometheus"),
        f"--config.file={path}",
        f"--storage.tsdb.path={tmp / 'tsdb'}",
        f"--web.listen-address=127.0.0.1:{port}",
    ]
    with _process(args, port, tmp / "prometheus.log", "prometheus") as url:
        yield url


@contextmanager
def alertmanager(tmp: Path, port: int | None = None) -> Iterator[str]:
    port = port or free_port()
    config = {
        "route": {"receiver": "null", "group_wait": "1s"},
        "receivers": [{"name": "null"}],
    }
    path = tmp / "alertmanager.yml"
    path.write_text(yaml.safe_dump(config))
    args = [
        _binary("prometheus-alertmanager", "alertmanager"),
        f"--config.file={path}",
        f"--storage.path={tmp / 'am'}",
        f"--web.listen-address=127.0.0.1:{port}",
        "--cluster.listen-address=",
    ]
    with _process(args, port, tmp / f"alertmanager-{port}.log", "alertmanager") as url:
        yield url


def query(url: str, expr: str) -> list[dict[str, Any]]:
    """An instant query; fails the test on any Prometheus error."""
    response = httpx.get(f"{url}/api/v1/query", params={"query": expr}, timeout=10)
    body = response.json()
    assert response.status_code == 200 and body["status"] == "success", (expr, body)
    return body["data"]["result"]


def wait_for(check: Any, timeout_s: float, interval_s: float = 1.0) -> Any:
    deadline = time.monotonic() + timeout_s
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval_s)
