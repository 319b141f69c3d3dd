"""Novelty: syndicated copies are repeats, distinct stories are first, verdicts are stable."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import orjson
import pytest

from stream.pipeline.alerts import load_rules
from stream.pipeline.batch import BatchContext, WindowStep, run_batch
from stream.pipeline.kinds import NEWS
from stream.pipeline.novelty import NUM_PERM, NoveltyIndex, normalise
from stream.pipeline.subjects import Entities
from stream.pipeline.windows import WindowSpec
from stream.records import ScoredEvent, SourceRef, Subject
from stream.rescore.backtest import Backtest
from stream.settings import AlertSettings, ValidationSettings

from .fakes import KeywordScorer

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
STORY = "Boeing cuts 2026 delivery outlook as 737 production stalls"
COPIES = [
    STORY,
    f"UPDATE 2-{STORY} - Reuters",
    f"BREAKING: {STORY.title()}",
    "Boeing cuts its 2026 delivery outlook as 737 production stalls",
    f"{STORY} https://t.co/x1 @wire",
]


def test_wire_prefixes_sources_and_noise_are_normalised_away():
    assert normalise(f"UPDATE 2-{STORY} - Reuters") == normalise(STORY)
    assert normalise("CORRECTED-$AAPL beats https://t.co/x #news") == "aapl beats news"


def test_copies_repeat_the_first_story_and_other_stories_are_first():
    index = NoveltyIndex()
    verdicts = [index.judge(f"c{i}", h, 1000.0 + i) for i, h in enumerate(COPIES)]
    assert verdicts[0].novel
    assert all(not v.novel and v.duplicate_of == "c0" for v in verdicts[1:])
    assert index.judge("other", "Airbus raises 2026 delivery outlook", 1010.0).novel
    assert index.judge("shares", "Boeing shares fall after CEO exits", 1011.0).novel


def test_templated_headlines_about_other_companies_are_not_repeats():
    index = NoveltyIndex()
    a = index.judge("a", "Equinor misses on revenue", 0.0, frozenset({"ticker:EQNR"}))
    b = index.judge("b", "ArcelorMittal misses on revenue", 1.0, frozenset({"ticker:MT"}))
    c = index.judge("c", "Eltek reports Q3 results", 2.0)
    d = index.judge("d", "Advantego reports Q3 results", 3.0)
    assert a.novel and b.novel and c.novel and d.novel


def test_a_redelivered_story_keeps_its_verdict():
    index = NoveltyIndex()
    index.judge("c0", COPIES[0], 0.0)
    first = index.judge("c1", COPIES[1], 1.0)
    assert index.judge("c1", COPIES[1], 1.0) == first  # redelivery
    assert index.judge("c0", COPIES[0], 0.0).novel  # the original stays first
    assert len(index) == 2


def test_stories_beyond_the_horizon_are_forgotten():
    index = NoveltyIndex(horizon_s=3600)
    index.judge("old", STORY, 0.0)
    assert index.judge("later", COPIES[1], 7200.0).novel
    assert len(index) == 1  # "old" fell out of the horizon


def test_memory_is_bounded_by_max_stories():
    index = NoveltyIndex(max_stories=100)
    for i in range(1000):
        index.judge(f"s{i}", f"Company{i} story number {i} about topic{i}", float(i))
    assert len(index) == 100
    held = sum(len(ids) for bucket in index._buckets for ids in bucket.values())
    assert held == 100 * len(index._bands)  # the forgotten left every band bucket


def test_an_indexed_story_holds_its_own_signature_not_its_batch():
    index = NoveltyIndex()
    signatures = index.signatures(
        [(f"Company{i} story {i} about topic{i}", frozenset()) for i in range(50)]
    )
    first = signatures[0]
    assert first is not None and first.dtype == np.uint32 and first.nbytes == 4 * NUM_PERM
    # a row view would keep the batch's 50 signatures alive while any one story is indexed
    assert first.base is None and not any(
        np.shares_memory(first, other) for other in signatures[1:] if other is not None
    )


def _event(id_, headline, ts, novel=True, duplicate_of=None):
    return ScoredEvent(id_, "news", T0 + timedelta(seconds=ts), (Subject("ticker:BA"),),
                       "negative", {}, -0.9, "m", SourceRef("news", 0, 0),
                       {"headline": headline}, novel, duplicate_of)  # fmt: skip


def test_seeding_from_scored_events_restores_the_verdicts():
    marked = NoveltyIndex().mark([_event(f"c{i}", h, i) for i, h in enumerate(COPIES)])
    restarted = NoveltyIndex()
    assert restarted.seed(marked) == len(COPIES)
    again = restarted.mark(marked)  # redelivered after the restart
    assert [(e.novel, e.duplicate_of) for e in again] == [(e.novel, e.duplicate_of) for e in marked]
    late_copy = restarted.mark([_event("c9", f"{STORY} - Bloomberg", 30)])[0]
    assert not late_copy.novel and late_copy.duplicate_of == "c0"


def _news_batch(records, start_offset, ctx):
    raws = [
        (orjson.dumps(r), SourceRef("news", 0, start_offset + i)) for i, r in enumerate(records)
    ]
    return run_batch(NEWS, raws, KeywordScorer(), ctx, T0 + timedelta(hours=3))


def _baseline(minutes):
    """Two distinct calm stories a minute on Boeing."""
    return [
        {"id": f"b{m}-{i}", "published_at": (T0 + timedelta(minutes=m, seconds=20 * i)).isoformat(),
         "source": "wire", "headline": f"Boeing note {m}-{i}: item {m * 7 + i} of topic{m}{i}",
         "tickers": ["BA"]}
        for m in range(minutes) for i in range(2)
    ]  # fmt: skip


def _alerts(burst):
    ctx = BatchContext(ValidationSettings(), b"k", Entities.of({"BA": "industrials"}, {}))
    step = WindowStep(WindowSpec(60, 900, 7200), load_rules(AlertSettings().rules_file))
    backtest = Backtest(step)
    fired = []
    for n, batch in enumerate((_baseline(35), burst)):
        _, alerts = backtest.add(_news_batch(batch, 10_000 * n, ctx))
        fired += [a for a in alerts if a.state == "firing"]
    return fired


@pytest.mark.parametrize("sources", [20])
def test_a_syndicated_burst_fires_no_surge_but_distinct_stories_do(sources):
    at = T0 + timedelta(minutes=35)
    story = "Boeing shares plunge as regulators ground the 737 fleet"
    copies = [
        {"id": f"copy{i}", "published_at": (at + timedelta(seconds=6 * i)).isoformat(),
         "source": f"source{i}", "headline": COPY_FORMS[i % len(COPY_FORMS)].format(story),
         "tickers": ["BA"]}
        for i in range(sources)
    ]  # fmt: skip
    assert not [a for a in _alerts(copies) if a.rule == "negative_surge"]
    distinct = [
        {"id": f"story{i}", "published_at": (at + timedelta(seconds=10 * i)).isoformat(),
         "source": "wire", "headline": headline, "tickers": ["BA"]}
        for i, headline in enumerate(DISTINCT_NEGATIVE)
    ]  # fmt: skip
    assert [a.subject for a in _alerts(distinct) if a.rule == "negative_surge"] == ["ticker:BA"]


COPY_FORMS = ("{}", "UPDATE 1-{} - Reuters", "BREAKING: {}", "{} https://t.co/abc", "{} - CNBC")
DISTINCT_NEGATIVE = (
    "Boeing shares plunge as regulators ground the 737 fleet",
    "Boeing plunge deepens after airline cancels 40 jet order",
    "Union strike halts Boeing factories; stock plunge continues",
    "Boeing CFO quits amid accounting probe, shares plunge",
    "Credit agencies downgrade Boeing debt, bonds plunge",
    "Boeing delivery numbers plunge to a ten-year low",
    "Engine supplier warns of parts shortage as Boeing output plunge hits suppliers",
    "Boeing plunge: analysts slash targets across the street",
)
