"""Wire forms of the records the worker publishes."""

from __future__ import annotations

from datetime import UTC, datetime

from stream.records import DeadLetter, ScoredEvent, SourceRef, Subject

NOW = datetime(2026, 11, 23, 9, tzinfo=UTC)


def test_a_scored_event_on_the_wire_keeps_its_field_names():
    event = ScoredEvent("n1", "news", NOW, (Subject("ticker:A", 0.9),), "positive",
                        {"positive": 0.9}, 0.8, "m@1/int8", SourceRef("news", 2, 7),
                        {"headline": "h"}, novel=False, duplicate_of="n0")  # fmt: skip
    assert event.to_wire() == {
        "id": "n1", "kind": "news", "ts": NOW.isoformat(), "topics": ["ticker:A"],
        "subjects": [{"key": "ticker:A", "relevance": 0.9}],
        "novelty": "repeat", "duplicate_of": "n0",
        "label": "positive", "probabilities": {"positive": 0.9}, "score": 0.8,
        "model_version": "m@1/int8", "source": "news[2]@7", "headline": "h",
    }  # fmt: skip


def test_transactions_carry_no_novelty():
    event = ScoredEvent("t1", "transaction", NOW, (Subject("account:a"),), "low", {}, 0.1,
                        "m", SourceRef("tx", 0, 1))  # fmt: skip
    assert "novelty" not in event.to_wire() and "duplicate_of" not in event.to_wire()


def test_a_dead_letter_cuts_its_payload_and_says_so():
    wire = DeadLetter("oversize", "too big", SourceRef("t", 0, 1), b"x" * 70_000).to_wire(NOW)
    assert len(wire["payload"]) == 65_536 and wire["payload_truncated"] is True
    assert wire["source"] == "t[0]@1" and wire["rejected_at"] == NOW.isoformat()
