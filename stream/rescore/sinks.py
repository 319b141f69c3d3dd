"""Outputs of ``finsentry rescore``: row files that can be cut back to a checkpoint.

- JSONL: appended; its checkpoint is the byte size, and a resumed run truncates to it, so
  rows written after the last checkpoint (a crash) are not duplicated.
- CSV: the same, with a fixed header.
- Parquet: a directory of ``part-NNNNN.parquet`` files (one per flush, readable as one
  dataset by pyarrow, pandas, DuckDB or Spark); parts after the checkpoint are removed.
- Kafka: sends acknowledged before each checkpoint (at-least-once: a hard kill between a send
  and its checkpoint can repeat that chunk; records carry their id as the key).
"""

from __future__ import annotations

import asyncio
import csv
import io
import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import orjson

from stream.errors import InputError
from stream.kafka.client import make_producer
from stream.settings import KafkaSettings

__all__ = ["KafkaSink", "RowSink", "open_sink"]

log = logging.getLogger(__name__)


class RowSink(Protocol):
    path: str

    def write(self, rows: Sequence[dict[str, Any]]) -> None: ...
    def flush(self) -> Any:
        """Make everything written durable; returns the state to checkpoint."""
        ...

    def restore(self, state: Any) -> None:
        """Cut back to a checkpointed state (None: start empty)."""
        ...

    def close(self) -> None: ...


class _FileSink:
    def __init__(self, path: Path) -> None:
        self.path = str(path)
        self._file = path
        self._fh: Any = None

    def _open(self) -> Any:
        if self._fh is None:
            self._file.parent.mkdir(parents=True, exist_ok=True)
            self._fh = self._file.open("ab")
        return self._fh

    def restore(self, state: Any) -> None:
        size = int(state or 0)
        if self._file.exists() and self._file.stat().st_size > size:
            with self._file.open("r+b") as fh:
                fh.truncate(size)
        elif not self._file.exists() and size:
            msg = f"{self._file} is missing but the checkpoint says {size} bytes were written"
            raise InputError(msg)

    def flush(self) -> int:
        fh = self._open()
        fh.flush()
        os.fsync(fh.fileno())
        return int(fh.tell())

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None


class JsonlSink(_FileSink):
    def write(self, rows: Sequence[dict[str, Any]]) -> None:
        fh = self._open()
        fh.write(b"".join(orjson.dumps(r, default=str) + b"\n" for r in rows))


class CsvSink(_FileSink):
    def __init__(self, path: Path, columns: Sequence[str]) -> None:
        super().__init__(path)
        self.columns = list(columns)

    def write(self, rows: Sequence[dict[str, Any]]) -> None:
        fh = self._open()
        text = io.StringIO()
        writer = csv.DictWriter(text, self.columns, extrasaction="ignore")
        if fh.tell() == 0:
            writer.writeheader()
        writer.writerows(rows)
        fh.write(text.getvalue().encode())


class ParquetSink:
    """A directory of parts; ``schema`` fixes the column types across parts."""

    def __init__(self, path: Path, schema: Any) -> None:
        self.path = str(path)
        self._dir = path
        self._schema = schema
        self._rows: list[dict[str, Any]] = []
        self._parts = 0

    def write(self, rows: Sequence[dict[str, Any]]) -> None:
        self._rows.extend(rows)

    def flush(self) -> int:
        import pyarrow as pa
        import pyarrow.parquet as pq

        if self._rows:
            self._dir.mkdir(parents=True, exist_ok=True)
            table = pa.Table.from_pylist(self._rows, schema=self._schema)
            part = self._dir / f"part-{self._parts:05d}.parquet"
            tmp = part.with_suffix(".tmp")
            pq.write_table(table, tmp)
            os.replace(tmp, part)
            self._parts += 1
            self._rows = []
        return self._parts

    def restore(self, state: Any) -> None:
        self._parts = int(state or 0)
        if self._dir.is_dir():
            for part in self._dir.glob("part-*"):
                index = part.name.removeprefix("part-").split(".")[0]
                if not index.isdigit() or int(index) >= self._parts or part.suffix == ".tmp":
                    part.unlink()

    def close(self) -> None:
        self._rows = []


class KafkaSink:
    """Rows as JSON to a topic, keyed by ``id``; ``flush`` waits for every acknowledgement."""

    def __init__(self, kafka: KafkaSettings, topic: str) -> None:
        self.path = f"kafka:{topic}"
        self._kafka = kafka
        self._topic = topic
        self._loop = asyncio.new_event_loop()
        self._producer: Any = None
        self._pending: list[Any] = []

    def _start(self) -> Any:
        from aiokafka.errors import KafkaError

        if self._producer is None:
            producer = make_producer(self._kafka, acks="all", linger_ms=5)
            try:
                self._loop.run_until_complete(producer.start())
            except KafkaError as exc:
                msg = (
                    f"cannot reach Kafka at {self._kafka.bootstrap_servers} to write "
                    f"{self._topic} ({type(exc).__name__}): check the bootstrap servers"
                )
                raise InputError(msg) from exc
            self._producer = producer
        return self._producer

    def write(self, rows: Sequence[dict[str, Any]]) -> None:
        producer = self._start()

        async def send() -> list[Any]:
            return [
                await producer.send(
                    self._topic,
                    value=orjson.dumps(r, default=str),
                    key=str(r.get("id", "")).encode(),
                )
                for r in rows
            ]

        self._pending += self._loop.run_until_complete(send())

    def flush(self) -> None:
        if self._pending:
            self._loop.run_until_complete(asyncio.gather(*self._pending))
            self._pending = []

    def restore(self, state: Any) -> None:
        return None

    def close(self) -> None:
        if self._producer is not None:
            self._loop.run_until_complete(self._producer.stop())
            self._producer = None
        self._loop.close()


def open_sink(
    target: str,
    *,
    kafka: KafkaSettings | None = None,
    columns: Sequence[str] = (),
    schema: Any = None,
    fmt: str | None = None,
) -> RowSink:
    """``kafka:TOPIC``, or a file whose format comes from ``fmt`` or the extension."""
    if target.startswith("kafka:"):
        if kafka is None:
            msg = "a Kafka output needs Kafka settings"
            raise InputError(msg)
        return KafkaSink(kafka, target.removeprefix("kafka:"))
    path = Path(target)
    kind = fmt or {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".parquet": "parquet"}.get(
        path.suffix.lower()
    )
    if kind == "jsonl":
        return JsonlSink(path)
    if kind == "csv" and columns:
        return CsvSink(path, columns)
    if kind == "parquet" and schema is not None:
        return ParquetSink(path, schema)
    msg = f"cannot write {target!r}: use a .jsonl or .parquet file, or kafka:TOPIC"
    raise InputError(msg)
