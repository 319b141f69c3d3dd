"""``bench model`` on the shipped model: every engine timed on the same texts, in turns."""

from __future__ import annotations

import orjson
import pytest

from stream.bench.model import bench_model

pytestmark = pytest.mark.slow

TEXTS = [
    "Shares of $AAPL jump after record iPhone sales",
    "Bank warns of losses as loan defaults climb",
    "Company schedules its annual meeting for May",
    "Oil slides 4% on demand worries",
] * 8


def test_every_engine_is_timed_in_turns_with_ratios_side_by_side():
    result = bench_model(TEXTS, batch_sizes=(4, 8), seconds=0.6, rounds=2, torch_model=None)
    rows = result["rows"]
    engines = {r["engine"] for r in rows}
    assert {"ORT int8 CPU", "torch eager fp32 (base weights)"} <= engines
    assert any(e.startswith("ORT fp32 CPU") for e in engines)
    assert sorted({r["batch_size"] for r in rows}) == [4, 8]
    for row in rows:
        assert row["sentences_per_s"] > 0
        assert row["batches"] >= 3 * 2  # at least three batches in each of the two rounds
        assert row["p50_ms"] <= row["p99_ms"]
        assert row["ratio_vs_torch"] > 0
    for row in rows:  # each engine against itself is exactly 1
        if row["engine"] == "ORT int8 CPU":
            assert row["ratio_vs_int8"] == 1.0
        if row["engine"].startswith("torch"):
            assert row["ratio_vs_torch"] == 1.0
    assert result["rounds"] == 2
    assert result["ort_cpu"] == {"runs_side_by_side": 2, "intra_op_threads": 1}
    assert result["gpu"]["available"] == ("ORT fp16 CUDA" in engines)  # CUDA rows iff a GPU
    orjson.dumps(result)  # the JSON the command writes


def test_without_torch_the_ratios_are_against_int8():
    result = bench_model(TEXTS, batch_sizes=(4,), seconds=0.3, rounds=1, include_torch=False)
    assert all(r["ratio_vs_torch"] is None for r in result["rows"])
    assert {r["engine"] for r in result["rows"]} >= {"ORT int8 CPU"}
    assert all(r["ratio_vs_int8"] > 0 for r in result["rows"])
