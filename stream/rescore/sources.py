"""Inputs of ``finsentry rescore``: JSONL / CSV / Parquet files (globs), or a Kafka range.

Each source yields chunks of ``(payload, SourceRef)`` with the position *after* the chunk, so
a run can stop anywhere and continue from its checkpoint. Files are read as streams (memory
stays flat); a file's records are referred to as ``path[0]@line`` (JSONL, CSV: the physical
line number; Parquet: the row number).
"""

from __future__ import annotations

import csv
import glob
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import orjson

from stream.errors import InputError
from stream.records import SourceRef

__all__ = [
    "FORMATS",
    "Chunk",
    "FilePosition",
    "columns_of",
    "csv_row_payload",
    "expand_inputs",
    "file_format",
    "open_parquet",
    "read_files",
]

log = logging.getLogger(__name__)

Format = Literal["jsonl", "csv", "parquet"]
FORMATS: dict[str, Format] = {
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
    ".csv": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
}
_LIST_FIELDS = ("tickers", "topics")


@dataclass(frozen=True, slots=True)
class Chunk:
    records: list[tuple[bytes, SourceRef]]
    position: dict[str, Any]  # where to continue after this chunk (JSON-serialisable)


@dataclass(frozen=True, slots=True)
class FilePosition:
    file_index: int = 0
    row: int = 0  # rows of that file already consumed
    byte: int = 0  # JSONL: byte offset after those rows

    def to_dict(self) -> dict[str, Any]:
        return {"file_index": self.file_index, "row": self.row, "byte": self.byte}

    @classmethod
    def from_dict(cls, raw: dict[str, Any] | None) -> FilePosition:
        return cls(**raw) if raw else cls()


def file_format(path: Path, forced: str | None = None) -> Format:
    if forced:
        if forced not in ("jsonl", "csv", "parquet"):
            msg = f"unknown input format {forced!r}: use jsonl, csv or parquet"
            raise InputError(msg)
        return forced  # type: ignore[return-value]
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        msg = (
            f"{path}: unknown input format {path.suffix or '(no extension)'!r}; name files "
            f"{', '.join(sorted(FORMATS))} or pass --input-format"
        )
        raise InputError(msg)
    return fmt


def expand_inputs(patterns: list[str]) -> list[Path]:
    """Globs to a sorted, de-duplicated list of files; a pattern matching nothing is an error."""
    paths: list[Path] = []
    for pattern in patterns:
        matches = sorted(glob.glob(pattern, recursive=True))
        if not matches:
            msg = f"no input matches {pattern!r}: check the path (globs are quoted to reach us)"
            raise InputError(msg)
        for match in matches:
            path = Path(match)
            if path.is_dir():
                msg = f"{path} is a directory: pass files or a glob such as '{path}/*.jsonl'"
                raise InputError(msg)
            if path not in paths:
                paths.append(path)
    return paths


def csv_row_payload(row: dict[str, str | None]) -> bytes:
    """A CSV row as the JSON record the parser expects: empty cells are absent, and the list
    fields (tickers, topics) are split on ``|`` or ``;``."""
    record: dict[str, Any] = {}
    for name, value in row.items():
        if name is None or value is None or value == "":
            continue
        if name in _LIST_FIELDS:
            record[name] = [v.strip() for v in value.replace(";", "|").split("|") if v.strip()]
        else:
            record[name] = value
    return orjson.dumps(record)


def _jsonl(path: Path, start: FilePosition, size: int) -> Iterator[tuple[list[Any], int, int]]:
    with path.open("rb") as fh:
        fh.seek(start.byte)
        line_no, byte = start.row, start.byte
        batch: list[tuple[bytes, int]] = []
        for line in fh:
            line_no += 1
            byte += len(line)
            payload = line.rstrip(b"\r\n")
            if payload.strip():
                batch.append((payload, line_no))
            if len(batch) >= size:
                yield batch, line_no, byte
                batch = []
        if batch or line_no > start.row:
            yield batch, line_no, byte


def _csv(path: Path, start: FilePosition, size: int) -> Iterator[tuple[list[Any], int, int]]:
    with path.open("r", encoding="utf-8", errors="replace", newline="") as fh:
        reader = csv.DictReader(fh)
        batch: list[tuple[bytes, int]] = []
        row_no = 0
        for row in reader:
            row_no += 1
            if row_no <= start.row:
                continue
            batch.append((csv_row_payload(row), reader.line_num))
            if len(batch) >= size:
                yield batch, row_no, 0
                batch = []
        if batch:
            yield batch, row_no, 0


def _parquet(path: Path, start: FilePosition, size: int) -> Iterator[tuple[list[Any], int, int]]:
    parquet = open_parquet(path)
    row_no = 0
    for batch in parquet.iter_batches(batch_size=size):
        rows = batch.to_pylist()
        first = row_no
        row_no += len(rows)
        if row_no <= start.row:
            continue
        out = [
            (orjson.dumps(row, default=str), first + i + 1)
            for i, row in enumerate(rows)
            if first + i + 1 > start.row
        ]
        yield out, row_no, 0


def open_parquet(path: Path) -> Any:
    """A ``pyarrow.parquet.ParquetFile``, or an ``InputError`` for a file that is not one."""
    import pyarrow.parquet as pq

    try:
        return pq.ParquetFile(path)
    except Exception as exc:
        msg = f"{path} is not a readable Parquet file ({exc}): check the file (truncated?)"
        raise InputError(msg) from exc


def columns_of(path: Path, forced_format: str | None = None) -> list[str] | None:
    """The column names of a CSV or Parquet file (None for JSONL, which has none)."""
    fmt = file_format(path, forced_format)
    if fmt == "parquet":
        return list(open_parquet(path).schema_arrow.names)
    if fmt == "csv":
        try:
            with path.open("r", encoding="utf-8", errors="replace", newline="") as fh:
                return next(csv.reader(fh), [])
        except (OSError, csv.Error) as exc:
            msg = f"cannot read {path} ({exc}): check the file and its format"
            raise InputError(msg) from exc
    return None


def read_files(
    paths: list[Path], start: FilePosition, chunk_size: int, forced_format: str | None = None
) -> Iterator[Chunk]:
    """Chunks of every file from ``start`` on; a file that cannot be read is an ``InputError``."""
    readers = {"jsonl": _jsonl, "csv": _csv, "parquet": _parquet}
    for index in range(start.file_index, len(paths)):
        path = paths[index]
        fmt = file_format(path, forced_format)
        begin = start if index == start.file_index else FilePosition(index)
        try:
            for batch, row, byte in readers[fmt](path, begin, chunk_size):
                records = [(payload, SourceRef(str(path), 0, line)) for payload, line in batch]
                yield Chunk(records, FilePosition(index, row, byte).to_dict())
        except InputError:
            raise
        except Exception as exc:
            msg = f"cannot read {path} ({type(exc).__name__}: {exc}): check the file and its format"
            raise InputError(msg) from exc
        yield Chunk([], FilePosition(index + 1).to_dict())
