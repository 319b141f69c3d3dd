"""The one batch step: worker and rescore get the same events, dead letters and windows."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson

from stream.pipeline.alerts import AlertRule
from stream.pipeline.batch import BatchContext, WindowStep, by_key, covered_offsets, run_batch
from stream.pipeline.kinds import NEWS, TRANSACTION
from stream.pipeline.subjects import Entities
from stream.pipeline.windows import KeyState, WindowSpec
from stream.records import SourceRef
from stream.settings import Settings, ValidationSettings

from .fakes import KeywordScorer

NOW = datetime(2026, 11, 23, 12, tzinfo=UTC)
CTX = BatchContext(ValidationSettings(), b"key", Entities.of({"JPM": "banks"}, {}))


def _news(i: int, headline: str) -> tuple[bytes, SourceRef]:
    record = {"id": f"n{i}", "published_at": NOW.isoformat(), "source": "w",
              "headline": headline, "tickers": ["JPM"]}  # fmt: skip
    return orjson.dumps(record), SourceRef("news", 0, 10 + i)


def test_a_batch_gives_events_dead_letters_and_contributions_in_input_order():
    raws = [_news(0, "JPM plunge"), (b"{broken", SourceRef("news", 0, 11)), _news(2, "UNSCORABLE")]
    result = run_batch(NEWS, raws, KeywordScorer(), CTX, NOW)
    assert [e.id for e in result.scored] == ["n0"]
    assert [(d.reason, d.source.offset) for d in result.dead_letters] == [
        ("bad_json", 11),
        ("unscorable", 12),
    ]
    assert [(c.key, c.label, c.offset) for c in result.contributions()] == [
        ("ticker:JPM", 0, 10),
        ("sector:banks", 0, 10),
    ]
    assert result.scored_texts() == ["JPM plunge"]
    assert covered_offsets(result.sources) == {"news[0]": [[10, 12]]}
    assert result.inference_s > 0


def test_transaction_dead_letters_echo_no_account_number():
    bad = orjson.dumps({"id": "t1", "ts": NOW.isoformat(), "account": "DE00123456789",
                        "amount": "NaN"})  # fmt: skip
    result = run_batch(TRANSACTION, [(bad, SourceRef("tx", 1, 5))], KeywordScorer(), CTX, NOW)
    assert [d.reason for d in result.dead_letters] == ["missing_field"]
    assert b"00123456789" not in result.dead_letters[0].payload
    assert result.inference_s == 0  # nothing parsed: no model call


def test_window_step_applies_per_key_and_a_replayed_batch_counts_once():
    rule = AlertRule(
        "drop", "level", "news", "mean_score", fire=-0.5, clear=0.0, min_count=2, direction="below"
    )
    step = WindowStep(WindowSpec(60, 300, 3600), (rule,))
    raws = [_news(i, "JPM plunge") for i in range(3)]
    result = run_batch(NEWS, raws, KeywordScorer(), CTX, NOW)
    grouped = by_key(result.contributions())
    assert list(grouped) == ["ticker:JPM", "sector:banks"]
    state = KeyState()
    applied, alerts = step.apply("ticker:JPM", state, grouped["ticker:JPM"])
    assert applied.applied == 3 and [a.state for a in alerts] == ["firing"]
    again, alerts = step.apply("ticker:JPM", state, grouped["ticker:JPM"])
    assert (again.applied, again.duplicates, alerts) == (0, 3, [])


def test_contexts_come_from_the_settings():
    settings = Settings()
    ctx = BatchContext.from_settings(settings)
    assert ctx.account_key == settings.pii.account_hash_key.get_secret_value().encode()
    assert "JPM" in ctx.entities.universe.watched and len(ctx.entities.universe) > 1700
    step = WindowStep.from_settings(settings)
    assert step.spec == WindowSpec(60, 900, 3600, 5)
    assert {r.name for r in step.rules} >= {"negative_surge", "risk_spike"}
