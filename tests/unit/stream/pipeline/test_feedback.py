"""Analysts' corrections: validated, and joined to the records they correct."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
import pytest

from stream.pipeline.feedback import Feedback, join_feedback, latest, parse_feedback
from stream.pipeline.parse import ParseContext, Rejected
from stream.settings import ValidationSettings

CTX = ParseContext(ValidationSettings(), datetime(2026, 12, 2, 12, tzinfo=UTC), b"k")
AT = "2026-12-02T11:00:00+00:00"


def _parse(**fields) -> Feedback | Rejected:
    return parse_feedback(orjson.dumps(fields), CTX)


def test_a_valid_correction_parses_with_kind_and_label_spellings():
    got = _parse(id="n1", kind="News", label="Positive", by="ana", at=AT, note="beat")
    assert got == Feedback("n1", "news", "positive", "ana", datetime.fromisoformat(AT), "beat")
    tx = _parse(id="t1", kind="transactions", label="high_risk", by="ops", at=AT)
    assert isinstance(tx, Feedback) and (tx.kind, tx.label) == ("transaction", "high")
    assert Feedback.to_wire(tx) == {"id": "t1", "kind": "transaction", "label": "high",
                                    "by": "ops", "at": AT}  # fmt: skip


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"id": "n1", "kind": "tweet", "label": "positive", "by": "a", "at": AT}, "bad_kind"),
        ({"id": "n1", "kind": "news", "label": "high", "by": "a", "at": AT}, "bad_label"),
        ({"kind": "news", "label": "positive", "by": "a", "at": AT}, "missing_field"),
        ({"id": "n1", "kind": "news", "label": "positive", "at": AT}, "missing_field"),
        ({"id": "n1", "kind": "news", "label": "positive", "by": "a", "at": "soon"},
         "bad_timestamp"),
        ({"id": "n1", "kind": "news", "label": "positive", "by": "a", "at": "2027-01-01"},
         "future_timestamp"),
    ],
)  # fmt: skip
def test_bad_corrections_are_rejected_with_a_reason(fields, reason):
    got = _parse(**fields)
    assert isinstance(got, Rejected) and got.reason == reason, got
    assert isinstance(parse_feedback(b"{oops", CTX), Rejected)


def test_digit_runs_in_who_and_why_are_masked():
    got = _parse(id="n1", kind="news", label="neutral", by="ana 4111111111111111", at=AT,
                 note="account DE35304826237034 is fine")  # fmt: skip
    assert isinstance(got, Feedback)
    assert "4111111111111111" not in got.by and "35304826237034" not in (got.note or "")


def test_the_latest_correction_wins_and_rows_carry_the_model_text():
    early = Feedback("n1", "news", "negative", "a", datetime(2026, 12, 1, tzinfo=UTC))
    late = Feedback("n1", "news", "positive", "b", datetime(2026, 12, 2, tzinfo=UTC))
    lost = Feedback("gone", "news", "neutral", "c", datetime(2026, 12, 2, tzinfo=UTC))
    corrections = latest([late, early, lost])
    assert corrections[("news", "n1")] is late
    news = {"id": "n1", "published_at": AT, "source": "wire", "headline": "Acme beats estimates"}
    scored = {("news", "n1"): {"id": "n1", "kind": "news", "label": "neutral",
                               "model_version": "m@1/int8", "source": "t.news[0]@7"}}  # fmt: skip
    rows, missing = join_feedback(corrections, scored, {"t.news[0]@7": orjson.dumps(news)}, CTX)
    assert rows == [{"id": "n1", "kind": "news", "text": "Acme beats estimates",
                     "label": "positive", "model_label": "neutral", "model_version": "m@1/int8",
                     "by": "b", "at": late.at.isoformat(), "note": None}]  # fmt: skip
    assert [(c.id, why.split(" ")[0]) for c, why in missing] == [("gone", "no")]


def test_a_transaction_row_holds_the_hashed_model_text_not_the_account():
    tx = {"id": "t1", "ts": AT, "account": "DE35304826237034", "counterparty": "Acme 123456789",
          "amount": "9500", "currency": "USD", "country": "KY", "channel": "wire",
          "memo": "card 4111111111111111"}  # fmt: skip
    fb = Feedback("t1", "transaction", "high", "ops", datetime(2026, 12, 2, tzinfo=UTC))
    scored = {("transaction", "t1"): {"label": "low", "source": "t.tx[1]@3"}}
    rows, _ = join_feedback(latest([fb]), scored, {"t.tx[1]@3": orjson.dumps(tx)}, CTX)
    text = rows[0]["text"]
    assert "wire payment of 9,500.00 USD" in text
    for digits in ("35304826237034", "123456789", "4111111111111111"):
        assert digits not in orjson.dumps(rows[0]).decode()
