"""``build_worker``: every part from the settings, on a real faust app, without a broker."""

from __future__ import annotations

import asyncio

import pytest
from prometheus_client import CollectorRegistry, generate_latest

from stream.errors import ConfigError
from stream.settings import AlertSettings, KafkaSettings, Settings
from stream.worker.app import create_app
from stream.worker.build import build_worker


class _NoModel:
    def __init__(self) -> None:
        self.loads = 0

    def __call__(self, version=None):  # never needed: nothing is scored here
        self.loads += 1
        raise AssertionError("the model is loaded on first use only")


def test_the_worker_is_built_from_the_settings_with_a_handler_per_kind():
    async def build():
        settings = Settings(kafka=KafkaSettings(group_id="g-build"), batches_in_flight=3)
        app, topics = create_app(settings)
        registry = CollectorRegistry()
        load = _NoModel()
        worker = build_worker(settings, app, topics, registry, load_classifier=load)
        return settings, worker, registry, load

    settings, worker, registry, load = asyncio.run(build())
    assert set(worker.inputs) == set(worker.flights) == {"news", "transaction"}
    assert worker.input_topics == {
        "news": settings.kafka.topics.news,
        "transaction": settings.kafka.topics.transactions,
    }
    assert all(not f.in_flight and f.has_room() for f in worker.flights.values())
    assert load.loads == 0
    text = generate_latest(registry).decode()
    # collectors read at scrape time: batches in flight per kind, and (no partitions yet) no lag
    assert 'finsentry_pipeline_batches{kind="news"} 0.0' in text
    assert "# TYPE finsentry_consumer_lag_records gauge" in text
    assert not worker.health.ready()[0]  # no model, no partitions yet


def test_a_bad_rules_file_stops_the_build_with_a_config_error(tmp_path):
    bad = tmp_path / "rules.toml"
    bad.write_text("[[rules]\n")
    settings = Settings(alerts=AlertSettings(rules_file=bad))

    async def build() -> None:
        app, topics = create_app(settings)
        build_worker(settings, app, topics, CollectorRegistry(), load_classifier=_NoModel())

    with pytest.raises(ConfigError, match="FINSENTRY_ALERTS__RULES_FILE"):
        asyncio.run(build())
