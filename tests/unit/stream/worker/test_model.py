"""``LazyClassifier``: one load, off the event loop, however many batches ask at once."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor

from prometheus_client import CollectorRegistry

from exporters.http import Health
from exporters.metrics import Metrics


class _Clf:
    version, variant, provider = "m@1/int8", "int8", "CPUExecutionProvider"

    def scorer(self, task: str) -> str:
        return f"scorer:{task}"


def test_concurrent_first_uses_load_once_in_the_executor_and_mark_readiness():
    from stream.worker.model import LazyClassifier

    threads: list[str] = []

    def load() -> _Clf:
        threads.append(threading.current_thread().name)
        return _Clf()

    registry, health = CollectorRegistry(), Health()
    lazy = LazyClassifier(load, ThreadPoolExecutor(1, "loader"), Metrics.create(registry), health)

    async def main() -> list[str]:
        return list(await asyncio.gather(*(lazy.scorer("news") for _ in range(5))))

    assert asyncio.run(main()) == ["scorer:news"] * 5
    assert len(threads) == 1 and threads[0].startswith("loader")
    assert health.model_loaded
    info = {"version": "m@1/int8", "variant": "int8", "provider": "CPUExecutionProvider"}
    assert registry.get_sample_value("finsentry_model_info", info) == 1
