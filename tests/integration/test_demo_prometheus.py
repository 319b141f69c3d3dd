"""``finsentry demo --prometheus``: a real Prometheus with the repository's rules, scraping."""

from __future__ import annotations

import httpx
import pytest
from rich.console import Console

from stream.demo.prometheus import demo_prometheus
from stream.kafka.broker import free_port

from .monitoring import wait_for

pytestmark = pytest.mark.slow


def test_the_demos_prometheus_loads_the_rules_and_scrapes_the_worker_address(tmp_path):
    console = Console(record=True)
    port = free_port()
    with demo_prometheus(tmp_path, port, console) as url:
        assert url is not None, console.export_text()
        rules = httpx.get(f"{url}/api/v1/rules", timeout=10).json()["data"]["groups"]
        names = {r["name"] for group in rules for r in group["rules"]}
        assert {"FinsentryNegativeSurge", "FinsentryWorkerDown"} <= names
        targets = wait_for(
            lambda: httpx.get(f"{url}/api/v1/targets", timeout=10).json()["data"]["activeTargets"],
            20,
        )
        assert [t["scrapeUrl"] for t in targets] == [f"http://127.0.0.1:{port}/metrics"]
    with pytest.raises(httpx.TransportError):  # stopped with the demo
        httpx.get(f"{url}/-/ready", timeout=2)
