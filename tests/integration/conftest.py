"""Integration fixtures: one real Tansu broker per session, workers as real child processes."""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from stream.kafka.admin import create_topics
from stream.kafka.broker import EmbeddedBroker, free_port
from stream.settings import KafkaSettings, Settings, TopicSettings
from stream.worker.process import start_worker, stop_worker


@pytest.fixture(scope="session")
def broker(tmp_path_factory) -> Iterator[EmbeddedBroker]:
    log = tmp_path_factory.mktemp("broker") / "tansu.log"
    with EmbeddedBroker(log_path=log) as b:
        yield b


class Cluster:
    """Fresh topics and group for one test, and the workers started against them."""

    def __init__(self, broker: EmbeddedBroker, tmp: Path) -> None:
        suffix = uuid.uuid4().hex[:8]
        topics = TopicSettings(**{role: f"t{suffix}.{role}" for role in TopicSettings.ROLES})
        self.kafka = KafkaSettings(
            bootstrap_servers=broker.bootstrap, group_id=f"g{suffix}", topics=topics
        )
        self.settings = Settings(kafka=self.kafka)
        self.broker = broker
        self.tmp = tmp
        self.workers: list[tuple[subprocess.Popen[bytes], int, Path]] = []
        self.extra_env: dict[str, str] = {}
        create_topics(self.kafka)

    def env(self) -> dict[str, str]:
        env = {
            f"FINSENTRY_KAFKA__TOPICS__{role.upper()}": name
            for role, name in self.kafka.topics.by_role().items()
        }
        env["FINSENTRY_MODEL__THREADS"] = "2"
        if "FINSENTRY_TEST_MODEL_DIR" in os.environ and "FINSENTRY_MODEL__REGISTRY" not in (
            self.extra_env
        ):
            env["FINSENTRY_MODEL__DIR"] = os.environ["FINSENTRY_TEST_MODEL_DIR"]
        return {**env, **self.extra_env}

    def start_worker(self) -> tuple[subprocess.Popen[bytes], int, Path]:
        port = free_port()
        log = self.tmp / f"worker{len(self.workers)}.log"
        proc = start_worker(self.settings, self.broker.bootstrap, port, log, self.env())
        self.workers.append((proc, port, log))
        return proc, port, log

    def stop(self) -> None:
        for proc, _, _ in self.workers:
            stop_worker(proc, timeout_s=10)


@pytest.fixture
def cluster(broker, tmp_path) -> Iterator[Cluster]:
    c = Cluster(broker, tmp_path)
    yield c
    c.stop()
