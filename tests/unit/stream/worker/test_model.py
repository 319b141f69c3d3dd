"""``LiveModel``: one load off the event loop, then swaps on registry promotions (fakes)."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from exporters.http import Health
from exporters.metrics import Metrics
from models.errors import ModelIntegrityError
from models.serving.runtime import Score
from stream.worker.model import LiveModel, probe


@dataclass
class _Manifest:
    version: str
    tasks: dict[str, Any] = field(default_factory=lambda: {"news": {}})


class _Scorer:
    def __init__(self, clf: _Clf) -> None:
        self.clf = clf

    def score_batch(self, texts):
        if self.clf.broken:
            raise ValueError("matmul: shapes (1,384) and (768,3) not aligned")
        return [Score("neutral", {"neutral": 1.0}, 0.0, self.clf.version) for _ in texts]


class _Clf:
    variant, provider = "int8", "CPUExecutionProvider"

    def __init__(self, version: str, broken: bool = False) -> None:
        self.manifest = _Manifest(version)
        self.version = f"m@{version}/int8"
        self.broken = broken

    def scorer(self, task: str) -> _Scorer:
        return _Scorer(self)


class _Registry:
    """A pointer and the versions it may point at."""

    def __init__(self, current: str, broken: tuple[str, ...] = ()) -> None:
        self.pointer = current
        self.broken = broken
        self.loads: list[str | None] = []
        self.threads: list[str] = []

    def load(self, version: str | None) -> _Clf:
        self.loads.append(version)
        self.threads.append(threading.current_thread().name)
        name = version or self.pointer
        if name == "missing":
            raise ModelIntegrityError("model file encoder.onnx is corrupted")
        return _Clf(name, broken=name in self.broken)

    def current(self) -> str:
        return self.pointer


def _live(reg: _Registry) -> tuple[LiveModel, CollectorRegistry, Health]:
    registry, health = CollectorRegistry(), Health()
    model = LiveModel(
        reg.load,  # type: ignore[arg-type]
        ThreadPoolExecutor(1, "loader"),
        Metrics.create(registry),
        health,
        reg.current,
    )
    return model, registry, health


def test_concurrent_first_uses_load_once_in_the_executor_and_mark_readiness():
    reg = _Registry("v1")
    model, registry, health = _live(reg)

    async def main() -> list[Any]:
        return list(await asyncio.gather(*(model.scorer("news") for _ in range(5))))

    scorers = asyncio.run(main())
    assert len({id(s.clf) for s in scorers}) == 1
    assert reg.loads == [None] and reg.threads[0].startswith("loader")
    assert health.model_loaded
    info = {
        "version": "m@v1/int8",
        "registry_version": "v1",
        "variant": "int8",
        "provider": "CPUExecutionProvider",
    }
    assert registry.get_sample_value("finsentry_model_info", info) == 1


def test_a_promotion_swaps_later_batches_while_a_batch_in_flight_keeps_its_model():
    reg = _Registry("v1")
    model, registry, _ = _live(reg)

    async def main() -> tuple[Any, Any, bool, bool]:
        in_flight = await model.scorer("news")
        unchanged = await model.check()
        reg.pointer = "v2"
        swapped = await model.check()
        return in_flight, await model.scorer("news"), unchanged, swapped

    in_flight, later, unchanged, swapped = asyncio.run(main())
    assert (unchanged, swapped) == (False, True)
    assert in_flight.score_batch(["x"])[0].model_version == "m@v1/int8"
    assert later.score_batch(["x"])[0].model_version == "m@v2/int8"
    assert model.serving == "v2"
    assert registry.get_sample_value("finsentry_model_swaps_total", {"outcome": "swapped"}) == 1
    assert registry.get_sample_value(
        "finsentry_model_info",
        {
            "version": "m@v2/int8",
            "registry_version": "v2",
            "variant": "int8",
            "provider": "CPUExecutionProvider",
        },
    )


@pytest.mark.parametrize("bad", ["missing", "crashes"])
def test_a_version_that_fails_to_load_or_to_score_is_refused_and_the_old_one_serves(bad):
    reg = _Registry("v1", broken=("crashes",))
    model, registry, health = _live(reg)

    async def main() -> tuple[bool, bool, bool]:
        await model.get()
        reg.pointer = bad
        first = await model.check()
        again = await model.check()  # not retried while the pointer stays there
        reg.pointer = "v3"
        return first, again, await model.check()

    first, again, recovered = asyncio.run(main())
    assert (first, again, recovered) == (False, False, True)
    assert reg.loads.count(bad) == 1
    assert registry.get_sample_value("finsentry_model_swaps_total", {"outcome": "refused"}) == 1
    assert model.serving == "v3"
    assert health.model_refused is None  # cleared once a good version serves


def test_a_refused_version_is_shown_by_readiness_which_stays_ready():
    reg = _Registry("v1", broken=("v2",))
    model, _, health = _live(reg)
    health.assigned_partitions = 1

    async def main() -> None:
        await model.get()
        reg.pointer = "v2"
        await model.check()

    asyncio.run(main())
    ready, detail = health.ready()
    assert ready and model.serving == "v1"
    assert detail["model_refused"].startswith("v2: scoring a news probe raised ValueError")


def test_without_a_registry_nothing_is_watched():
    reg = _Registry("v1")
    registry, health = CollectorRegistry(), Health()
    model = LiveModel(reg.load, ThreadPoolExecutor(1), Metrics.create(registry), health)  # type: ignore[arg-type]

    async def main() -> bool:
        await model.get()
        reg.pointer = "v2"
        return await model.check()

    assert asyncio.run(main()) is False and reg.loads == [None]


def test_probe_refuses_a_model_whose_scores_are_errors():
    class _Erroring(_Clf):
        def scorer(self, task):
            class S:
                def score_batch(self, texts):
                    return [Score(None, {}, None, "v", "inference failed: bad graph")]

            return S()

    with pytest.raises(ModelIntegrityError, match="inference failed: bad graph"):
        probe(_Erroring("v9"))  # type: ignore[arg-type]
    probe(_Clf("ok"))  # type: ignore[arg-type]
