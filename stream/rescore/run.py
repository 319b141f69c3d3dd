"""One re-scoring run: source chunks -> the worker's batch step -> sinks (+ compare, + backtest).

The stages are the worker's: ``run_batch`` (parse, score) for every chunk and, with
``--backtest``, ``WindowStep`` (windows, alert rules) per subject. A flush makes every output
durable and then writes the checkpoint; Ctrl-C finishes the chunk in hand, flushes and stops,
and the same command continues from there.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import orjson

from models.serving.runtime import Classifier
from stream.errors import InputError
from stream.pipeline.batch import BatchContext, WindowStep, run_batch
from stream.pipeline.kinds import KINDS, KindName, kind_named
from stream.rescore.backtest import (
    ALERT_COLUMNS,
    ALERT_NUMERIC,
    WINDOW_COLUMNS,
    WINDOW_NUMERIC,
    Backtest,
    alert_row,
)
from stream.rescore.checkpoint import Checkpoint, fingerprint
from stream.rescore.compare import Comparison
from stream.rescore.kafka_range import parse_bound, read_range, resolve_range
from stream.rescore.sinks import RowSink, open_sink
from stream.rescore.sources import (
    Chunk,
    FilePosition,
    columns_of,
    expand_inputs,
    file_format,
    open_parquet,
    read_files,
)
from stream.settings import Settings

__all__ = ["RescoreJob", "Summary", "run_rescore"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RescoreJob:
    inputs: tuple[str, ...] = ()  # file globs; empty = read ``topic``
    topic: str | None = None
    start: str = "earliest"
    end: str = "latest"
    kind: KindName | None = None  # None: from the topic name, else news
    input_format: str | None = None
    out: str = "rescored.jsonl"
    rejects: Path | None = None
    checkpoint: Path | None = None
    chunk_size: int = 512
    flush_rows: int = 20_000
    compare: Path | None = None
    compare_variant: str | None = None
    backtest: Path | None = None  # directory for windows + alerts
    backtest_format: Literal["csv", "parquet"] = "csv"
    plot: bool = False  # a PNG per subject that alerted, in backtest/plots/
    restart: bool = False

    def stem(self) -> Path:
        """Where the rejects file and checkpoint go by default: next to the output."""
        return Path(self.out.removeprefix("kafka:"))


@dataclass
class Summary:
    read: int = 0
    scored: int = 0
    rejected: int = 0
    reasons: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    provider: str = ""
    model_version: str = ""
    outputs: dict[str, str] = field(default_factory=dict)
    interrupted: bool = False
    resumed: bool = False
    already_complete: bool = False
    comparison: dict[str, Any] | None = None
    charts: int = 0

    @property
    def records_per_s(self) -> float:
        return self.read / self.seconds if self.seconds else 0.0


def _scored_schema() -> Any:
    import pyarrow as pa

    return pa.schema(
        [
            ("id", pa.string()),
            ("kind", pa.string()),
            ("ts", pa.string()),
            ("topics", pa.list_(pa.string())),
            ("label", pa.string()),
            ("score", pa.float64()),
            ("probabilities", pa.string()),
            ("model_version", pa.string()),
            ("source", pa.string()),
            ("extra", pa.string()),
        ]
    )


_CORE = ("id", "kind", "ts", "topics", "label", "score", "model_version", "source")


def _parquet_row(wire: dict[str, Any]) -> dict[str, Any]:
    extra = {k: v for k, v in wire.items() if k not in (*_CORE, "probabilities")}
    return {
        **{k: wire[k] for k in _CORE},
        "probabilities": orjson.dumps(wire["probabilities"]).decode(),
        "extra": orjson.dumps(extra).decode(),
    }


def _table_schema(columns: tuple[str, ...], numeric: frozenset[str]) -> Any:
    import pyarrow as pa

    return pa.schema([(c, pa.float64() if c in numeric else pa.string()) for c in columns])


class _Run:
    def __init__(self, settings: Settings, job: RescoreJob, classifier: Classifier) -> None:
        self.settings, self.job, self.classifier = settings, job, classifier
        self.kind = kind_named(job.kind or _kind_of_topic(settings, job.topic))
        self.scorer = classifier.scorer(self.kind.task)
        self.ctx = BatchContext.from_settings(settings)
        stem = job.stem()
        self.rejects_path = job.rejects or stem.with_name(stem.name + ".rejects.jsonl")
        self.checkpoint_path = job.checkpoint or stem.with_name(stem.name + ".checkpoint.json")
        scored_parquet = not job.out.startswith("kafka:") and job.out.endswith(".parquet")
        self.to_parquet = scored_parquet
        self.sinks: dict[str, RowSink] = {
            "scored": open_sink(
                job.out, kafka=settings.kafka, schema=_scored_schema() if scored_parquet else None
            ),
            "rejects": open_sink(str(self.rejects_path), fmt="jsonl"),
        }
        self.comparison: Comparison | None = None
        self.other: Any = None
        self.backtest: Backtest | None = None
        if job.backtest is not None:
            ext = job.backtest_format
            self.sinks["windows"] = open_sink(
                str(job.backtest / f"windows.{ext}"),
                columns=WINDOW_COLUMNS,
                schema=_table_schema(WINDOW_COLUMNS, WINDOW_NUMERIC),
            )
            self.sinks["alerts"] = open_sink(
                str(job.backtest / f"alerts.{ext}"),
                columns=ALERT_COLUMNS,
                schema=_table_schema(ALERT_COLUMNS, ALERT_NUMERIC),
            )
            self.backtest = Backtest(WindowStep.from_settings(settings))

    def spec(self, paths: list[Path]) -> dict[str, Any]:
        j = self.job
        return {
            "inputs": [str(p.resolve()) for p in paths],
            "topic": j.topic,
            "range": [j.start, j.end],
            "kind": self.kind.name,
            "out": j.out,
            "model": self.classifier.version,
            "compare": [str(j.compare), j.compare_variant] if j.compare else None,
            "backtest": [str(j.backtest), j.backtest_format] if j.backtest else None,
        }


def _kind_of_topic(settings: Settings, topic: str | None) -> str:
    """The kind whose input topic ``topic`` is (news for files and other topics)."""
    names = settings.kafka.topics.by_role()
    return next((k.name for k in KINDS.values() if names[k.input_role] == topic), "news")


def _check_columns(path: Path, forced: str | None, required: tuple[str, ...]) -> None:
    """A CSV or Parquet input without a column every record needs is refused up front
    (instead of every row being rejected)."""
    columns = columns_of(path, forced)
    missing = [name for name in required if columns is not None and name not in columns]
    if missing:
        msg = (
            f"{path} has no column {', '.join(repr(m) for m in missing)} (it has "
            f"{', '.join(columns or []) or 'none'}): these records need {', '.join(required)}; "
            "rename the columns or pass --kind"
        )
        raise InputError(msg)


def _estimate_rows(paths: list[Path], forced: str | None) -> int:
    total = 0
    for path in paths:
        fmt = file_format(path, forced)
        if fmt == "parquet":
            total += open_parquet(path).metadata.num_rows
            continue
        with path.open("rb") as fh:
            lines = sum(block.count(b"\n") for block in iter(lambda: fh.read(1 << 20), b""))
        total += max(0, lines - (1 if fmt == "csv" else 0))
    return total


def run_rescore(
    settings: Settings,
    job: RescoreJob,
    *,
    classifier: Classifier | None = None,
    other: Classifier | None = None,
    on_progress: Callable[[int, int], None] | None = None,
    stop: threading.Event | None = None,
) -> Summary:
    """Run (or continue) ``job``. ``on_progress(done, total)`` after each chunk; ``stop`` (or
    Ctrl-C in the main thread) ends the run cleanly after the current chunk."""
    started = time.perf_counter()
    clf = classifier or settings.model.load()
    run = _Run(settings, job, clf)
    paths = expand_inputs(list(job.inputs)) if job.inputs else []
    if not paths and not job.topic:
        msg = "nothing to re-score: give input files or --topic"
        raise InputError(msg)
    if job.plot and job.backtest is None:
        msg = "--plot draws the backtest: add --backtest DIR"
        raise InputError(msg)
    for path in paths:
        _check_columns(path, job.input_format, run.kind.required_fields)
    if job.compare is not None:
        run.other = other or Classifier.load(
            job.compare,
            provider=settings.model.provider,
            variant=job.compare_variant,  # type: ignore[arg-type]
            threads=settings.model.threads,
            chunk_size=settings.model.chunk_size,
            cache_dir=settings.model.cache_dir,
        ).scorer(run.kind.task)
        run.comparison = Comparison(clf.version, run.other.model_version)
    spec_id = fingerprint(run.spec(paths))
    point = None if job.restart else Checkpoint.load(run.checkpoint_path, spec_id)
    summary = Summary(provider=clf.provider, model_version=clf.version)
    summary.outputs = {name: sink.path for name, sink in run.sinks.items()}
    if point is not None and point.complete:
        summary.already_complete = True
        _fill(summary, point.counts)
        return summary
    point = point or Checkpoint(spec_id)
    summary.resumed = bool(point.counts)
    for name, sink in run.sinks.items():
        sink.restore(point.sinks.get(name))
    counts: Counter[str] = Counter(point.counts)
    if run.comparison is not None:
        run.comparison.restore(point.state.get("compare"))
    if run.backtest is not None:
        run.backtest.restore(point.state.get("backtest"))

    if paths:
        total = _estimate_rows(paths, job.input_format)
        chunks: Iterator[Chunk] = read_files(
            paths, FilePosition.from_dict(point.position or None), job.chunk_size,
            job.input_format,
        )  # fmt: skip
    else:
        topic = job.topic or ""
        if "ranges" not in point.state:
            ranges = resolve_range(
                settings.kafka, topic, parse_bound(job.start), parse_bound(job.end)
            )
            point.state["ranges"] = {str(p): list(r) for p, r in ranges.items()}
        ranges = {int(p): (r[0], r[1]) for p, r in point.state["ranges"].items()}
        total = sum(hi - lo for lo, hi in ranges.values())
        nexts = {int(p): o for p, o in point.position.get("next", {}).items()}
        chunks = read_range(settings.kafka, topic, ranges, nexts, job.chunk_size)

    stop = stop or threading.Event()
    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGINT, lambda *_: stop.set())
    unflushed = 0
    try:
        for chunk in chunks:
            _process(run, chunk, counts)
            point.position = chunk.position
            unflushed += len(chunk.records)
            if on_progress:
                on_progress(counts["read"], total)
            if unflushed >= job.flush_rows or stop.is_set():
                _flush(run, point, counts)
                unflushed = 0
            if stop.is_set():
                summary.interrupted = True
                break
        else:
            if run.backtest is not None:
                run.sinks["windows"].write(run.backtest.finish())
            point.complete = True
        _flush(run, point, counts)
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
        for sink in run.sinks.values():
            sink.close()
    _fill(summary, dict(counts))
    if job.plot and run.backtest is not None and point.complete and job.backtest is not None:
        from stream.rescore.plots import plot_backtest

        summary.charts = len(
            plot_backtest(job.backtest, job.backtest_format, run.backtest.step.rules)
        )
        summary.outputs["plots"] = str(job.backtest / "plots")
    summary.seconds = time.perf_counter() - started
    if run.comparison is not None:
        summary.comparison = run.comparison.report()
    return summary


def _fill(summary: Summary, counts: dict[str, int]) -> None:
    summary.read = counts.get("read", 0)
    summary.scored = counts.get("scored", 0)
    summary.rejected = counts.get("rejected", 0)
    summary.reasons = {
        k.removeprefix("reason:"): v for k, v in counts.items() if k.startswith("reason:")
    }


def _process(run: _Run, chunk: Chunk, counts: Counter[str]) -> None:
    now = datetime.now(UTC)
    result = run_batch(run.kind, chunk.records, run.scorer, run.ctx, now)
    wires = [event.to_wire() for event in result.scored]
    run.sinks["scored"].write([_parquet_row(w) for w in wires] if run.to_parquet else wires)
    kind = run.kind.name
    run.sinks["rejects"].write(
        [{"kind": kind, "line": d.source.offset, **d.to_wire(now)} for d in result.dead_letters]
    )
    if run.comparison is not None and result.scored:
        texts = result.scored_texts()
        run.comparison.add(kind, result.scored, texts, run.other.score_batch(texts))
    if run.backtest is not None:
        rows, alerts = run.backtest.add(result)
        run.sinks["windows"].write(rows)
        run.sinks["alerts"].write([alert_row(a) for a in alerts])
    counts["read"] += len(chunk.records)
    counts["scored"] += len(result.scored)
    counts["rejected"] += len(result.dead_letters)
    for dead in result.dead_letters:
        counts[f"reason:{dead.reason}"] += 1


def _flush(run: _Run, point: Checkpoint, counts: Counter[str]) -> None:
    for name, sink in run.sinks.items():
        point.sinks[name] = sink.flush()
    point.counts = dict(counts)
    if run.comparison is not None:
        point.state["compare"] = run.comparison.to_dict()
    if run.backtest is not None:
        point.state["backtest"] = run.backtest.to_dict()
    point.save(run.checkpoint_path)
