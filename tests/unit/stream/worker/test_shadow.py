"""Shadow scoring with a real model copy: sampled, off the publish path, measured."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from prometheus_client import CollectorRegistry

from exporters.metrics import Metrics
from models.serving.runtime import Classifier
from stream.pipeline.batch import BatchResult
from stream.pipeline.kinds import NEWS
from stream.records import NewsItem, ScoredEvent, SourceRef
from stream.worker.shadow import ShadowScorer, sampled


def _batch(shipped, n: int = 200) -> BatchResult:
    items, scored = [], []
    heads = ["Acme soars after record profit", "Acme plunges on fraud probe", "Acme holds AGM"]
    scores = shipped.scorer("news").score_batch([heads[i % 3] for i in range(n)])
    for i, score in enumerate(scores):
        ref = SourceRef("t", 0, i)
        item = NewsItem(f"n{i}", datetime.now(UTC), "wire", heads[i % 3])
        items.append((item, ref))
        scored.append(
            ScoredEvent(item.id, "news", item.published_at, (), score.label,
                        score.probabilities, score.score, score.model_version, ref)
        )  # fmt: skip
    return BatchResult(NEWS, items, scored, [])


def test_the_sample_is_deterministic_and_about_the_share():
    ids = [f"n{i}" for i in range(20_000)]
    picked = [i for i in ids if sampled(i, 0.1)]
    assert 0.09 < len(picked) / len(ids) < 0.11
    assert picked == [i for i in ids if sampled(i, 0.1)]


def test_a_swapped_head_shadow_disagrees_and_the_shift_is_measured(
    shipped_classifier, model_versions
):
    registry = CollectorRegistry()
    metrics = Metrics.create(registry)
    swapped = model_versions("swapped", swap_news_classes=True)
    shadow = ShadowScorer(lambda: Classifier.load(swapped, provider="cpu", threads=1), 0.5,
                          metrics, "swapped")  # fmt: skip
    batch = _batch(shipped_classifier)

    async def main() -> None:
        for _ in range(5):  # the first run starts at once; the rest gather, the excess drops
            shadow.submit(batch)
        while shadow._tasks:
            await asyncio.gather(*shadow._tasks)

    asyncio.run(main())
    value = registry.get_sample_value
    n = sum(1 for e in batch.scored if sampled(e.id, 0.5))
    assert n >= 64
    assert value("finsentry_shadow_records_total", {"kind": "news"}) == n + 4 * 64
    busy = value("finsentry_shadow_failures_total", {"kind": "news", "reason": "busy"})
    assert busy == 4 * n - 4 * 64
    flips = value("finsentry_shadow_label_flips_total",
                  {"kind": "news", "serving": "positive", "shadow": "negative"})  # fmt: skip
    assert flips and flips > 0
    assert value("finsentry_shadow_score_shift_count", {"kind": "news"}) == n + 4 * 64
    shadow.close()


def test_a_few_sampled_records_wait_for_company_or_for_time(shipped_classifier):
    registry = CollectorRegistry()
    shadow = ShadowScorer(lambda: shipped_classifier, 1.0, Metrics.create(registry), "same",
                          batch=64, flush_s=0.3)  # fmt: skip
    few = _batch(shipped_classifier, 5)

    async def main() -> tuple[int, int]:
        shadow.submit(few)
        waited = len(shadow._tasks)  # 5 < 64 and young: nothing runs yet
        await asyncio.sleep(0.4)
        shadow.submit(few)  # the oldest waited past flush_s: all 10 go
        while shadow._tasks:
            await asyncio.gather(*shadow._tasks)
        return waited, int(registry.get_sample_value(
            "finsentry_shadow_agreements_total", {"kind": "news"}) or 0)  # fmt: skip

    assert asyncio.run(main()) == (0, 10)  # the same model agrees with itself


def test_a_shadow_that_cannot_load_stops_itself_and_says_so(shipped_classifier, caplog):
    from models.errors import ModelNotFoundError

    def load():
        raise ModelNotFoundError("model directory /nope does not exist")

    registry = CollectorRegistry()
    shadow = ShadowScorer(load, 1.0, Metrics.create(registry), "v9", batch=1)
    batch = _batch(shipped_classifier, 10)

    async def main() -> None:
        shadow.submit(batch)
        await asyncio.gather(*shadow._tasks)
        shadow.submit(batch)  # stopped: nothing more is tried

    asyncio.run(main())
    assert (
        registry.get_sample_value(
            "finsentry_shadow_failures_total", {"kind": "news", "reason": "load"}
        )
        == 1
    )
    assert "shadow scoring stops" in caplog.text
