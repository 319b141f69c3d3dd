"""The worker's classifier: loaded once off the event loop, then swapped when the registry
promotes another version.

Each micro-batch asks for its scorer when it starts (``await model.scorer(task)``) and keeps
it: a swap changes what later batches get, batches in flight finish on the model they began
with, so no record is scored twice or skipped because of a swap. A version that does not load,
or loads but fails the probe texts, is refused (logged once, counted, shown by ``/readyz``) and
the old one keeps serving; the worker tries it again only once the pointer moves.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import os
import threading
from collections.abc import Awaitable, Callable
from concurrent.futures import Executor, Future

from exporters.http import Health
from exporters.metrics import Metrics
from models.drift import Reference
from models.errors import FinsentryError, ModelIntegrityError
from models.serving.runtime import Classifier, TaskScorer

__all__ = ["PROBES", "LiveModel", "probe"]

log = logging.getLogger(__name__)

# one text per task that any model must score without error before it serves
PROBES: dict[str, str] = {
    "news": "Acme shares jumped 12% after the company raised its full-year guidance.",
    "transactions": (
        "wire payment of 9,500.00 USD (high, round amount) to Xxxx Ltd [unspecified] in KY "
        "(offshore) at 03:12 on Sunday (night)."
    ),
}


def probe(classifier: Classifier) -> None:
    """Score each task's probe text; raise ``FinsentryError`` saying what failed."""
    for task in classifier.manifest.tasks:
        text = PROBES.get(task)
        if text is None:
            continue
        try:
            (score,) = classifier.scorer(task).score_batch([text])
        except Exception as exc:  # any failure refuses the model
            msg = f"scoring a {task} probe raised {type(exc).__name__}: {exc}"
            raise ModelIntegrityError(msg[:300]) from exc
        if not score.ok or score.score is None or not math.isfinite(score.score):
            msg = f"the {task} probe could not be scored ({score.error or 'no finite score'})"
            raise ModelIntegrityError(msg[:300])


def _in_background(fn: Callable[[str], Classifier], arg: str, nice: int) -> Awaitable[Classifier]:
    """``fn(arg)`` in a thread of its own, ``nice`` steps below the others (Linux: niceness is
    per thread): loading the next version must not take the CPU from the batches being scored
    (it takes a little longer instead). A thread of its own because niceness cannot be undone
    without privileges, and ONNX Runtime threads started while loading inherit it: callers pass
    0 unless the sessions score on the calling thread (one CPU thread each)."""
    done: Future[Classifier] = Future()

    def run() -> None:
        if nice:
            with contextlib.suppress(OSError, AttributeError):
                os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), nice)
        try:
            done.set_result(fn(arg))
        except BaseException as exc:  # noqa: BLE001 - handed to the awaiting coroutine
            done.set_exception(exc)

    threading.Thread(target=run, name="finsentry-model-load", daemon=True).start()
    return asyncio.wrap_future(done)


class LiveModel:
    """``await scorer(task)``: the serving classifier's scorer for ``task``.

    ``load(version)`` loads a registry version (None: the configured one); ``current()``
    reads which version the registry points at (None: nothing to follow).
    """

    def __init__(
        self,
        load: Callable[[str | None], Classifier],
        executor: Executor,
        metrics: Metrics,
        health: Health,
        current: Callable[[], str | None] | None = None,
        load_nice: int = 0,
    ) -> None:
        self._load = load
        self._executor = executor
        self._metrics = metrics
        self._health = health
        self._current = current
        self._load_nice = load_nice  # CPU priority of a swap's loading (see _in_background)
        self._classifier: Classifier | None = None
        self._lock = asyncio.Lock()
        self._refused: dict[str, str] = {}  # version -> why, until the pointer moves
        self._pointer_problem: str | None = None
        self._references: dict[tuple[str, str], Reference | None] = {}
        for outcome in ("swapped", "refused"):  # zero from the start, for rate() and panels
            metrics.model_swaps.labels(outcome)

    @property
    def serving(self) -> str | None:
        """The manifest version of the model that serves (None before the first load)."""
        return self._classifier.manifest.version if self._classifier else None

    def reference(self, task: str) -> Reference | None:
        """The serving model's drift reference for ``task`` (None: its manifest has none)."""
        clf = self._classifier
        if clf is None:
            return None
        key = (clf.manifest.version, task)
        if key not in self._references:
            self._references = {key: Reference.from_manifest(clf.manifest.tasks.get(task, {}))}
        return self._references[key]

    async def get(self) -> Classifier:
        async with self._lock:
            clf = self._classifier
            if clf is None:
                loop = asyncio.get_running_loop()
                clf = await loop.run_in_executor(self._executor, self._load, None)
                self._serve(clf)
            return clf

    async def scorer(self, task: str) -> TaskScorer:
        return (await self.get()).scorer(task)

    def _serve(self, clf: Classifier) -> None:
        self._classifier = clf
        self._metrics.model.info(
            {
                "version": clf.version,
                "registry_version": clf.manifest.version,
                "variant": clf.variant,
                "provider": clf.provider,
            }
        )
        self._health.model_loaded = True

    # -- following the registry --------------------------------------------------------------
    async def watch(self, interval_s: float) -> None:
        """Check the registry every ``interval_s`` and swap on a promotion (a faust task)."""
        while True:
            await asyncio.sleep(interval_s)
            await self.check()

    async def check(self) -> bool:
        """Swap to the registry's current version if it changed; True when it swapped."""
        if self._current is None or self._classifier is None:
            return False
        loop = asyncio.get_running_loop()
        try:
            target = await loop.run_in_executor(None, self._current)
        except (FinsentryError, OSError) as exc:
            if str(exc) != self._pointer_problem:
                log.error("model registry: %s", exc)
                self._pointer_problem = str(exc)
            return False
        self._pointer_problem = None
        if target is None or target == self.serving:
            self._refused.clear()
            self._health.model_refused = None
            return False
        if target in self._refused:
            return False
        self._refused.clear()
        return await self.swap(target)

    async def swap(self, version: str) -> bool:
        """Load and probe ``version`` off the event loop; serve it if both pass."""
        before = self.serving
        try:
            clf = await _in_background(self._load_and_probe, version, self._load_nice)
        except (FinsentryError, OSError) as exc:
            why = str(exc)[:300]
            self._refused[version] = why
            self._metrics.model_swaps.labels("refused").inc()
            self._health.model_refused = f"{version}: {why}"
            log.error(
                "model %s refused, %s keeps serving: %s (promote another version or roll back)",
                version,
                before,
                why,
            )
            return False
        async with self._lock:
            self._serve(clf)
        self._health.model_refused = None
        self._metrics.model_swaps.labels("swapped").inc()
        log.info("model swapped: %s now serves (was %s)", version, before)
        return True

    def _load_and_probe(self, version: str) -> Classifier:
        clf = self._load(version)
        probe(clf)
        return clf
