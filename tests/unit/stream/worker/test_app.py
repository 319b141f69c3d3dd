"""``create_app``: what the settings change in the faust app (no broker needed)."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

from stream.settings import KafkaSettings, Settings
from stream.worker.app import create_app
from stream.worker.faust_compat import ConsumerThread


def test_worker_fetches_wait_as_long_as_the_setting_says():
    """faust fixes 1500 ms; the embedded broker answers a fetch only when the wait expires."""

    async def build() -> tuple[int, int]:
        kafka = KafkaSettings(fetch_max_wait_ms=77, fetch_min_bytes=4096)
        app, _ = create_app(Settings(kafka=kafka))
        thread = app.consumer._thread
        assert isinstance(thread, ConsumerThread)
        consumer = thread._create_worker_consumer(app.transport)
        try:
            return consumer._fetch_max_wait_ms, consumer._fetch_min_bytes
        finally:
            await consumer.stop()

    # a fetch waits up to 77 ms for 4 KiB: micro-batches fill at moderate rates
    assert asyncio.run(build()) == (77, 4096)
    assert Settings().kafka.fetch_max_wait_ms == 100


def test_faust_data_dir_stays_out_of_the_working_directory():
    app, _ = create_app(Settings(kafka=KafkaSettings(group_id="g-datadir")))
    datadir = Path(app.conf.datadir)
    assert datadir.parent == Path(tempfile.gettempdir())
    assert "g-datadir" in datadir.name


def test_commit_cadence_comes_from_the_settings():
    app, _ = create_app(Settings(kafka=KafkaSettings(commit_interval_s=5, commit_every=9)))
    assert app.conf.broker_commit_interval == 5
    assert app.conf.broker_commit_every == 9


def test_the_window_changelog_is_declared_compacted():
    """Real Kafka then keeps one value per key and drops evicted keys (their tombstones)."""
    _, topics = create_app(Settings(kafka=KafkaSettings(group_id="g-compact")))
    changelog = topics.windows.changelog_topic
    assert changelog.compacting is True
    assert changelog.get_topic_name() == "g-compact-windows-changelog"
