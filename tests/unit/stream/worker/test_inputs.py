"""The input handler without faust or a broker: what one batch sends, and where."""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import orjson
from prometheus_client import CollectorRegistry

from exporters.metrics import Metrics, SubjectLabels
from stream.pipeline.batch import BatchContext
from stream.pipeline.kinds import NEWS
from stream.pipeline.subjects import Entities
from stream.settings import ValidationSettings
from stream.worker.inputs import InputHandler, OutputTopics, partition_for

from ..pipeline.fakes import KeywordScorer
from .fakes import Message, RecordingSender

NOW = datetime.now(UTC).replace(microsecond=0)
TOPICS = OutputTopics("scored", "dead", "contrib", partitions=3)


def _news(offset: int, headline: str) -> Message:
    record = {"id": f"n{offset}", "published_at": NOW.isoformat(), "source": "w",
              "headline": headline, "tickers": ["JPM"]}  # fmt: skip
    return Message("news", 1, offset, orjson.dumps(record), timestamp=time.time() - 0.5)


def _handler(sender: RecordingSender, registry: CollectorRegistry) -> InputHandler:
    ctx = BatchContext(ValidationSettings(), b"k", Entities.of({"JPM": "banks"}, {}))
    scorer = KeywordScorer()

    async def scorer_for(task: str) -> KeywordScorer:
        assert task == "news"
        return scorer

    return InputHandler(
        NEWS,
        ctx,
        scorer_for,
        ThreadPoolExecutor(1),
        sender,
        TOPICS,
        Metrics.create(registry),
        SubjectLabels(["ticker:JPM"], 10),
    )


def test_a_batch_publishes_scores_contributions_per_partition_and_dead_letters():
    sender, registry = RecordingSender(), CollectorRegistry()
    handler = _handler(sender, registry)
    broken = Message("news", 1, 6, b"{nope", timestamp=time.time())
    messages = [_news(5, "JPM plunge"), broken, _news(7, "JPM beats")]

    async def main() -> int:
        handler.received(messages)
        prepared = await handler.prepare(messages)
        acks = await handler.publish(messages, prepared)
        await asyncio.gather(*acks)
        return len(acks)

    assert asyncio.run(main()) == 1 + TOPICS.partitions + 1  # scored, contributions, dead
    scored = [orjson.loads(v) for _, v, _ in sender.to("scored")]
    assert [(s["id"], s["label"]) for s in scored] == [("n5", "negative"), ("n7", "positive")]
    bodies = {p: orjson.loads(v) for _, v, p in sender.to("contrib")}
    assert sorted(bodies) == [0, 1, 2]  # every windows partition hears of the batch
    for partition, body in bodies.items():
        assert body["r"] == {"news[1]": [[5, 7]]}  # with the offsets it covered
        assert all(partition_for(c[0], 3) == partition for c in body["c"])
    keys = sorted(c[0] for body in bodies.values() for c in body["c"])
    assert keys == ["sector:banks", "sector:banks", "ticker:JPM", "ticker:JPM"]
    (dead,) = [orjson.loads(v) for _, v, _ in sender.to("dead")]
    assert (dead["kind"], dead["reason"], dead["source"]) == ("news", "bad_json", "news[1]@6")
    sample = registry.get_sample_value
    assert sample("finsentry_records_consumed_total", {"kind": "news"}) == 3
    assert sample("finsentry_records_scored_total", {"kind": "news", "label": "negative"}) == 1
    assert sample("finsentry_records_rejected_total", {"kind": "news", "reason": "bad_json"}) == 1
    assert sample("finsentry_topic_records_total", {"kind": "news", "topic": "ticker:JPM"}) == 2
    assert sample("finsentry_produce_to_scored_seconds_count", {"kind": "news"}) == 3


def test_a_batch_of_rejects_only_calls_no_model_and_sends_only_dead_letters():
    sender, registry = RecordingSender(), CollectorRegistry()
    handler = _handler(sender, registry)
    messages = [Message("news", 0, 1, b"[]")]

    async def main() -> None:
        prepared = await handler.prepare(messages)
        await asyncio.gather(*await handler.publish(messages, prepared))

    asyncio.run(main())
    assert [t for t, *_ in sender.sent] == ["dead"]
    assert (
        registry.get_sample_value("finsentry_inference_batch_size_count", {"kind": "news"}) is None
    )


def test_subject_routing_is_stable_and_spreads_keys():
    keys = [f"ticker:T{i}" for i in range(200)]
    assert [partition_for(k, 4) for k in keys] == [partition_for(k, 4) for k in keys]
    assert len({partition_for(k, 4) for k in keys}) == 4


def test_large_contributions_are_split_into_messages_under_the_limit_losing_none():
    from stream.worker.inputs import contribution_messages

    wires = [[f"ticker:T{i}", "news", f"n{i}", 1.0, 0, 0.1, 0.0, "news[0]", i] for i in range(5000)]
    covered = {"news[0]": [[0, 4999]]}
    messages = contribution_messages(wires, covered, limit=20_000)
    assert len(messages) > 10 and all(len(m) <= 20_000 for m in messages)
    bodies = [orjson.loads(m) for m in messages]
    assert [c for b in bodies for c in b["c"]] == wires  # all of them, in order
    # only the last says what the batch covered: a windows batch may hold just the first ones
    assert bodies[-1]["r"] == covered and all(b["r"] == {} for b in bodies[:-1])
    assert contribution_messages(wires[:3], covered) == [
        orjson.dumps({"c": wires[:3], "r": covered})
    ]


def test_an_unpublishable_batch_becomes_redacted_dead_letters():
    sender, registry = RecordingSender(), CollectorRegistry()
    handler = _handler(sender, registry)
    raw = orjson.dumps({"id": "x", "account": "DE35304826237034", "headline": "h"})
    messages = [Message("news", 2, 9, raw), Message("news", 2, 10, None)]  # type: ignore[arg-type]

    async def main() -> None:
        acks = await handler.unpublishable(messages, ValueError("record too large"))
        await asyncio.gather(*acks)

    asyncio.run(main())
    dead = [orjson.loads(v) for _, v, _ in sender.to("dead")]
    assert [(d["reason"], d["source"]) for d in dead] == [
        ("unpublishable", "news[2]@9"),
        ("unpublishable", "news[2]@10"),
    ]
    assert "35304826237034" not in dead[0]["payload"] and "record too large" in dead[0]["detail"]
    sample = registry.get_sample_value
    assert (
        sample("finsentry_records_rejected_total", {"kind": "news", "reason": "unpublishable"}) == 2
    )


class _SlowFirst(KeywordScorer):
    """Scores texts with "slow" only after the other batch has been scored."""

    def __init__(self) -> None:
        super().__init__()
        self.others_done = __import__("threading").Event()

    def score_batch(self, texts):
        if any("slow" in t for t in texts):
            assert self.others_done.wait(5)
            time.sleep(0.3)  # time for the other batch's next step
            return super().score_batch(texts)
        try:
            return super().score_batch(texts)
        finally:
            self.others_done.set()


def test_batches_scored_side_by_side_are_judged_for_novelty_in_arrival_order():
    ctx = BatchContext(ValidationSettings(), b"k", Entities.of({"JPM": "financials"}, {}))
    scorer = _SlowFirst()

    async def scorer_for(task: str) -> KeywordScorer:
        return scorer

    handler = InputHandler(NEWS, ctx, scorer_for, ThreadPoolExecutor(2), RecordingSender(),
                           TOPICS, Metrics.create(CollectorRegistry()),
                           SubjectLabels([], 10))  # fmt: skip
    story = "JPM slow plunge as regulators open a fraud probe into its trading desk"
    first = [_news(1, story)]
    copy = [_news(2, f"UPDATE 1-{story.replace(' slow', '')} - Reuters")]

    async def main():
        a = asyncio.ensure_future(handler.prepare(first))
        b = asyncio.ensure_future(handler.prepare(copy))
        return await a, await b

    a, b = asyncio.run(main())
    assert scorer.others_done.is_set()  # the copy was scored first ...
    assert a.result.scored[0].novel  # ... and still judged after the original
    assert (b.result.scored[0].novel, b.result.scored[0].duplicate_of) == (False, "n1")
