"""The worker's feedback handler: counts valid corrections, dead-letters the rest."""

from __future__ import annotations

import asyncio

import orjson
from prometheus_client import CollectorRegistry

from exporters.metrics import Metrics
from stream.pipeline.batch import BatchContext
from stream.settings import Settings
from stream.worker.feedback import FeedbackHandler

from .fakes import Message, RecordingSender


def test_valid_corrections_are_counted_and_bad_ones_dead_lettered_redacted():
    registry, sender = CollectorRegistry(), RecordingSender()
    handler = FeedbackHandler(
        BatchContext.from_settings(Settings()), sender, "dl", Metrics.create(registry)
    )
    good = {"id": "n1", "kind": "news", "label": "positive", "by": "ana",
            "at": "2026-12-01T10:00:00Z"}  # fmt: skip
    bad = good | {"label": "bullish!!", "note": "acct DE35304826237034"}
    messages = [Message("fb", 0, 0, orjson.dumps(good)), Message("fb", 0, 1, orjson.dumps(bad)),
                Message("fb", 1, 0, b"not json")]  # fmt: skip
    asyncio.run(handler.handle(messages))
    sample = registry.get_sample_value
    assert sample("finsentry_feedback_records_total", {"kind": "news", "outcome": "accepted"}) == 1
    assert sample("finsentry_feedback_records_total",
                  {"kind": "unknown", "outcome": "rejected"}) == 2  # fmt: skip
    dead = [orjson.loads(v) for _, v, _ in sender.to("dl")]
    assert [(d["kind"], d["reason"], d["source"]) for d in dead] == [
        ("feedback", "bad_label", "fb[0]@1"),
        ("feedback", "bad_json", "fb[1]@0"),
    ]
    assert "35304826237034" not in orjson.dumps(dead).decode()
