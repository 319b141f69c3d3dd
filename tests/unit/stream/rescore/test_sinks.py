"""Outputs cut back to a checkpoint: no duplicates after a crash."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from stream.errors import InputError
from stream.rescore.sinks import open_sink


def test_jsonl_is_cut_back_to_the_checkpointed_size(tmp_path):
    path = tmp_path / "out.jsonl"
    sink = open_sink(str(path))
    sink.write([{"id": 1}, {"id": 2}])
    state = sink.flush()
    sink.write([{"id": 3}])  # written after the checkpoint, then a crash
    sink.close()
    again = open_sink(str(path))
    again.restore(state)
    again.write([{"id": 3}])
    again.close()
    assert path.read_text().splitlines() == ['{"id":1}', '{"id":2}', '{"id":3}']


def test_parquet_parts_after_the_checkpoint_are_removed(tmp_path):
    schema = pa.schema([("id", pa.int64())])
    out = tmp_path / "out.parquet"
    sink = open_sink(str(out), schema=schema)
    sink.write([{"id": 1}])
    state = sink.flush()
    sink.write([{"id": 2}])
    sink.flush()
    again = open_sink(str(out), schema=schema)
    again.restore(state)
    assert pq.read_table(out).column("id").to_pylist() == [1]


def test_an_output_of_unknown_kind_says_what_to_use(tmp_path):
    with pytest.raises(InputError, match=r"\.jsonl or \.parquet"):
        open_sink(str(tmp_path / "out.xlsx"))
