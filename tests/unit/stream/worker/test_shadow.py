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
        shadow.submit(batch)
        shadow.submit(batch)  # the first is still running: skipped, counted
        await asyncio.gather(*shadow._tasks)

    asyncio.run(main())
    value = registry.get_sample_value
    n = sum(1 for e in batch.scored if sampled(e.id, 0.5))
    assert value("finsentry_shadow_records_total", {"kind": "news"}) == n
    assert value("finsentry_shadow_failures_total", {"kind": "news", "reason": "busy"}) == 1
    flips = value("finsentry_shadow_label_flips_total",
                  {"kind": "news", "serving": "positive", "shadow": "negative"})  # fmt: skip
    assert flips and flips > 0
    assert value("finsentry_shadow_score_shift_count", {"kind": "news"}) == n
    shadow.close()


def test_a_shadow_that_cannot_load_stops_itself_and_says_so(shipped_classifier, caplog):
    from models.errors import ModelNotFoundError

    def load():
        raise ModelNotFoundError("model directory /nope does not exist")

    registry = CollectorRegistry()
    shadow = ShadowScorer(load, 1.0, Metrics.create(registry), "v9")
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
