"""CLI commands of the stream half: worker, produce, demo."""

from __future__ import annotations

import contextlib
import logging
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from stream.errors import StreamError
from stream.settings import Settings

__all__ = ["register"]

log = logging.getLogger(__name__)
console = Console(stderr=True)


def run_worker(settings: Settings) -> None:
    """Run the faust worker in this process until stopped."""
    import faust
    from prometheus_client import CollectorRegistry

    from exporters.http import serve
    from models.errors import ModelError
    from stream.agents import Worker
    from stream.app import create_app
    from stream.broker import create_topics

    create_topics(settings.kafka)
    app, topics = create_app(settings)
    registry = CollectorRegistry()
    worker = Worker(settings, app, topics, registry)
    worker.register()
    if settings.metrics.port:
        serve(registry, worker.health, settings.metrics.host, settings.metrics.port)

    @app.task
    async def load_model() -> None:
        try:
            await worker.classifier()
        except ModelError as exc:
            log.error("cannot load the model: %s", exc)
            worker.health.problem = f"model not loaded: {exc}"
            raise

    faust.Worker(
        app, loglevel=settings.log_level, quiet=True, override_logging=False
    ).execute_from_commandline()


def worker_cmd(ctx: typer.Context) -> None:
    """Consume news and transactions from Kafka, score, window, alert (Ctrl-C stops)."""
    try:
        run_worker(ctx.obj)
    except StreamError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc


def produce_cmd(
    ctx: typer.Context,
    file: Annotated[Path | None, typer.Argument(help="JSONL file, one record per line")] = None,
    topic: Annotated[str, typer.Option(help="news, transactions, or a topic name")] = "news",
    sample_minutes: Annotated[
        int | None,
        typer.Option(help="instead of a file: the demo's sample feed (news and transactions)"),
    ] = None,
) -> None:
    """Replay a JSONL file into a topic (or the sample feed into both input topics)."""
    import orjson

    from stream.broker import create_topics
    from stream.produce import produce, read_jsonl
    from stream.sample import sample_feed
    from stream.topics import Watchlist

    settings: Settings = ctx.obj
    t = settings.kafka.topics
    try:
        watchlist = Watchlist.load(settings.alerts.watchlist_file)
        if sample_minutes is not None:
            create_topics(settings.kafka)
            feed = sample_feed(minutes=sample_minutes)
            news = produce(settings.kafka, t.news, [orjson.dumps(r) for r in feed.news], watchlist)
            txs = produce(
                settings.kafka, t.transactions, [orjson.dumps(r) for r in feed.transactions]
            )
            console.print(
                f"sent {news} news to {t.news} and {txs} transactions to {t.transactions}"
            )
            return
        if file is None:
            console.print("[red]error:[/red] give a JSONL file or --sample-minutes")
            raise typer.Exit(2)
        name = getattr(t, topic, topic)
        count = produce(settings.kafka, name, read_jsonl(file), watchlist)
    except (StreamError, OSError) as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc
    console.print(f"sent {count} records to {name}")


def demo_cmd(
    ctx: typer.Context,
    minutes: Annotated[int, typer.Option(help="length of the sample feed (event time)")] = 45,
    exit_after: Annotated[
        float | None,
        typer.Option(help="stop by itself after this many seconds (default: run until Ctrl-C)"),
    ] = None,
) -> None:
    """Embedded broker + worker + sample feed with an injected surge: alerts really fire."""
    from stream.demo import run_demo

    try:
        sys.exit(run_demo(ctx.obj, minutes=minutes, exit_after=exit_after, console=console))
    except StreamError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc


def tail_cmd(
    ctx: typer.Context,
    topic: Annotated[str, typer.Argument(help="alerts, scored, dead_letters, or a topic name")],
    seconds: Annotated[float, typer.Option(help="how long to follow")] = 3600.0,
) -> None:
    """Print a topic's records (JSON lines) from the start."""
    import orjson

    from stream.tail import read_topic

    settings: Settings = ctx.obj
    name = getattr(settings.kafka.topics, topic, topic)

    def show(record: object) -> None:
        sys.stdout.buffer.write(
            orjson.dumps(record) + b"\n" if not isinstance(record, bytes) else record + b"\n"
        )
        sys.stdout.flush()

    with contextlib.suppress(KeyboardInterrupt):
        read_topic(settings.kafka, name, timeout_s=seconds, on_record=show)


def bench_stream_cmd(
    ctx: typer.Context,
    records: Annotated[int, typer.Option(help="backlog size")] = 3000,
    latency_seconds: Annotated[float, typer.Option(help="paced run for latency")] = 30.0,
    rounds: Annotated[int, typer.Option(help="bare and end-to-end take turns this often")] = 3,
    latency_rate: Annotated[
        float | None, typer.Option(help="records/s of the paced run (default: half of max)")
    ] = None,
    json_out: Annotated[Path, typer.Option("--json")] = Path("bench-stream.json"),
) -> None:
    """Worker end-to-end throughput vs bare score_batch, and latency at half load (one run)."""
    import orjson
    from rich.table import Table

    from stream.bench import bench_stream

    result = bench_stream(ctx.obj, records, latency_seconds, rounds, latency_rate)
    table = Table(title="bench stream (embedded broker, one worker, same texts)")
    for col in ("measure", "value"):
        table.add_column(col)
    for key, value in result.items():
        table.add_row(key, str(value))
    Console().print(table)
    json_out.write_bytes(orjson.dumps(result, option=orjson.OPT_INDENT_2))
    console.print(f"wrote {json_out}")


def dashboards_cmd(
    out: Annotated[Path, typer.Option(help="where Grafana provisions dashboards from")] = Path(
        "deploy/grafana/dashboards"
    ),
) -> None:
    """Write the Grafana dashboards (built in code) as JSON."""
    from exporters.dashboards import write_dashboards

    for path in write_dashboards(out):
        console.print(f"wrote {path}")


def register(app: typer.Typer, bench: typer.Typer | None = None) -> None:
    if bench is not None:
        bench.command("stream")(bench_stream_cmd)
    app.command("tail")(tail_cmd)
    app.command("worker")(worker_cmd)
    app.command("produce")(produce_cmd)
    app.command("demo")(demo_cmd)
    app.command("dashboards")(dashboards_cmd)
