"""The worker's classifier: loaded once, off the event loop, on first use."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import Executor

from exporters.http import Health
from exporters.metrics import Metrics
from models.serving.runtime import Classifier, TaskScorer

__all__ = ["LazyClassifier"]


class LazyClassifier:
    """``await scorer(task)``: loads the model in ``executor`` the first time (once, however
    many batches ask at the same time), then reports it in ``finsentry_model_info`` and marks
    the worker's readiness."""

    def __init__(
        self,
        load: Callable[[], Classifier],
        executor: Executor,
        metrics: Metrics,
        health: Health,
    ) -> None:
        self._load = load
        self._executor = executor
        self._metrics = metrics
        self._health = health
        self._classifier: Classifier | None = None
        self._lock = asyncio.Lock()

    async def get(self) -> Classifier:
        async with self._lock:
            if self._classifier is None:
                loop = asyncio.get_running_loop()
                clf = await loop.run_in_executor(self._executor, self._load)
                self._metrics.model.info(
                    {"version": clf.version, "variant": clf.variant, "provider": clf.provider}
                )
                self._health.model_loaded = True
                self._classifier = clf
        return self._classifier

    async def scorer(self, task: str) -> TaskScorer:
        return (await self.get()).scorer(task)
