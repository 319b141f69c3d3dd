"""One contribution per subject of a scored record, read back from its wire form unchanged."""

from __future__ import annotations

from datetime import UTC, datetime

from stream.pipeline.contributions import Contribution, contributions_of
from stream.records import ScoredEvent, SourceRef, Subject


def test_a_scored_record_contributes_once_to_each_of_its_subjects():
    event = ScoredEvent(
        "tx1",
        "transaction",
        datetime(2026, 12, 7, 12, 0, tzinfo=UTC),
        (Subject("account:abc"), Subject("merchant:crypto_exchange", 0.5)),
        "high",
        {"low": 0.1, "medium": 0.2, "high": 0.7},
        0.7,
        "m@1/int8",
        SourceRef("finsentry.transactions", 2, 41),
        extra={"amount_usd": 120.5},
        novel=False,
    )
    out = contributions_of(event)
    assert [(c.key, c.relevance) for c in out] == [
        ("account:abc", 1.0),
        ("merchant:crypto_exchange", 0.5),
    ]
    first = out[0]
    assert (first.source, first.offset, first.amount_usd) == (
        "finsentry.transactions[2]",
        41,
        120.5,
    )
    assert first.ts == event.ts.timestamp() and first.novel is False
    assert first.label == 2  # "high" in the transaction kind's classes
    assert [Contribution.from_wire(c.to_wire()) for c in out] == out
