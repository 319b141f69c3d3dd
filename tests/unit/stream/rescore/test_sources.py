"""File inputs: CSV rows as records, JSONL resume positions (no broker, no model)."""

from __future__ import annotations

import orjson

from stream.rescore.sources import FilePosition, csv_row_payload, read_files


def test_csv_rows_become_parser_records():
    row = {"id": "1", "headline": "h", "tickers": "AAPL|MSFT", "body": ""}
    assert orjson.loads(csv_row_payload(row)) == {
        "id": "1",
        "headline": "h",
        "tickers": ["AAPL", "MSFT"],
    }


def test_jsonl_resume_position_skips_consumed_lines(tmp_path):
    path = tmp_path / "a.jsonl"
    path.write_bytes(b"".join(orjson.dumps({"n": i}) + b"\n" for i in range(10)))
    chunks = list(read_files([path], FilePosition(), 4))
    middle = chunks[0].position  # after 4 lines
    rest = [ref.offset for c in read_files([path], FilePosition.from_dict(middle), 4)
            for _, ref in c.records]  # fmt: skip
    assert rest == list(range(5, 11))
