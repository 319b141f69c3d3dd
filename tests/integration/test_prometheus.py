"""The demo feed through a real worker, scraped by a real Prometheus with the repo's rules:
every dashboard query returns data, and the injected surge fires in Prometheus."""

from __future__ import annotations

import pytest

from exporters.dashboards import build_dashboards, panel_queries
from stream.demo.sample import sample_feed
from stream.kafka.broker import free_port

from .helpers import metric, scored_ids, send_feed
from .monitoring import prometheus, query, wait_for

pytestmark = [pytest.mark.kafka, pytest.mark.slow]


def _substitute(expr: str) -> str:
    return expr.replace("$__rate_interval", "1m").replace('"$topic"', '".*"')


def test_dashboards_have_data_and_the_surge_fires_in_prometheus(cluster, tmp_path, model_versions):
    from models.registry import Registry

    dead = free_port()  # nothing listens: alert pushes fail, the stream must not care
    registry = Registry(tmp_path / "registry")  # the shipped model serves, a worse one shadows
    registry.add(model_versions("v1"))
    registry.add(model_versions("swapped", swap_news_classes=True))
    registry.promote("v1")
    cluster.extra_env = {
        "FINSENTRY_MODEL__REGISTRY": str(registry.root),
        "FINSENTRY_MODEL__SHADOW": "swapped",
        "FINSENTRY_MODEL__SHADOW_SHARE": "0.2",
        "FINSENTRY_DELIVERY__WEBHOOK_URL": f"http://127.0.0.1:{dead}/hook",
        "FINSENTRY_DELIVERY__WEBHOOK_TOKEN": "tok-never-logged",
        "FINSENTRY_DELIVERY__MAX_ATTEMPTS": "2",
        "FINSENTRY_DELIVERY__BACKOFF_S": "0.1",
    }
    _, port, log = cluster.start_worker()
    # the surge fills the feed's last minutes, so it is still firing when the feed ends
    feed = sample_feed(minutes=37, seed=11, surge_at=34, surge_len=3)
    with prometheus(tmp_path, [f"127.0.0.1:{port}"]) as prom:
        send_feed(cluster, feed, malformed=True)
        expected = {r["id"] for r in feed.news} | {r["id"] for r in feed.transactions}
        scored = scored_ids(cluster.kafka, expected, timeout_s=240)
        assert expected <= {r["id"] for r in scored}  # the stream flowed, pushes failing
        assert wait_for(lambda: metric(port, "finsentry_alert_deliveries_total",
                                       {"outcome": "failed"}) >= 1, 60)  # fmt: skip

        firing = wait_for(
            lambda: query(prom, 'ALERTS{alertname="FinsentryNegativeSurge",alertstate="firing"}'),
            90,
        )
        assert [a["metric"]["topic"] for a in firing] == [f"ticker:{feed.surge_ticker}"]

        for name, model in build_dashboards().items():
            for title, expr in panel_queries(model):
                result = wait_for(lambda e=expr: query(prom, _substitute(e)), 30)
                assert result, f"{name} / {title}: no data for {expr}"
    assert "tok-never-logged" not in log.read_text()
