"""Backtest rows: a pane is written once, when the subject's event time has passed it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import orjson

from stream.pipeline.batch import BatchContext, WindowStep, run_batch
from stream.pipeline.kinds import NEWS
from stream.pipeline.subjects import Entities
from stream.pipeline.windows import WindowSpec
from stream.records import SourceRef
from stream.rescore.backtest import WINDOW_COLUMNS, Backtest
from stream.settings import ValidationSettings

from ..pipeline.fakes import KeywordScorer

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
CTX = BatchContext(ValidationSettings(), b"k", Entities.of({}, {}))


def _batch(minutes: list[int], start: int):
    raws = []
    for i, minute in enumerate(minutes):
        when = (T0 + timedelta(minutes=minute)).isoformat()
        record = {"id": f"n{start + i}", "published_at": when, "source": "w",
                  "headline": "AAPL plunge", "tickers": ["AAPL"]}  # fmt: skip
        raws.append((orjson.dumps(record), SourceRef("news", 0, start + i)))
    return run_batch(NEWS, raws, KeywordScorer(), CTX, T0 + timedelta(hours=2))


def test_rows_come_once_per_pane_with_the_kinds_columns():
    backtest = Backtest(WindowStep(WindowSpec(60, 300, 3600), ()))
    rows, alerts = backtest.add(_batch([0, 0, 1], 0))
    assert alerts == [] and [r["pane_start"] for r in rows] == []  # minute 1 is not over yet
    rows, _ = backtest.add(_batch([3], 3))
    assert [(r["pane_start"][11:16], r["count"], r["negative"]) for r in rows] == [
        ("09:00", 2, 2),
        ("09:01", 1, 1),
    ]
    assert set(rows[0]) == set(WINDOW_COLUMNS) and rows[0]["low_risk"] is None
    assert rows[1]["hopping_count"] == 3 and rows[1]["negative_share"] == 1.0
    rest = backtest.finish()
    assert [r["pane_start"][11:16] for r in rest] == ["09:03"]
    restored = Backtest(backtest.step)
    restored.restore(orjson.loads(orjson.dumps(backtest.to_dict())))
    assert restored.finish() == []  # everything was written already
