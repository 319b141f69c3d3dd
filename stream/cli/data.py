"""``finsentry produce`` and ``finsentry tail``: records into and out of Kafka topics."""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from stream.cli.errors import user_errors
from stream.cli.root import app
from stream.errors import InputError
from stream.settings import Settings

console = Console(stderr=True)


@app.command("produce")
@user_errors
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

    from stream.demo.sample import sample_feed
    from stream.kafka.admin import create_topics
    from stream.kafka.produce import produce, read_jsonl
    from stream.pipeline.subjects import Entities

    settings: Settings = ctx.obj
    t = settings.kafka.topics
    e = settings.entities
    entities = Entities.load(e.universe_file, settings.alerts.watchlist_file)
    if sample_minutes is not None:
        create_topics(settings.kafka)
        feed = sample_feed(minutes=sample_minutes)
        news = produce(settings.kafka, t.news, [orjson.dumps(r) for r in feed.news], entities)
        txs = produce(settings.kafka, t.transactions, [orjson.dumps(r) for r in feed.transactions])
        console.print(f"sent {news} news to {t.news} and {txs} transactions to {t.transactions}")
        return
    if file is None:
        msg = "give a JSONL file or --sample-minutes"
        raise InputError(msg)
    name = getattr(t, topic, topic)
    count = produce(settings.kafka, name, read_jsonl(file), entities)
    console.print(f"sent {count} records to {name}")


@app.command("tail")
@user_errors
def tail_cmd(
    ctx: typer.Context,
    topic: Annotated[str, typer.Argument(help="alerts, scored, dead_letters, or a topic name")],
    seconds: Annotated[float, typer.Option(help="how long to follow")] = 3600.0,
) -> None:
    """Print a topic's records (JSON lines) from the start."""
    import orjson

    from stream.kafka.tail import read_topic

    settings: Settings = ctx.obj
    name = getattr(settings.kafka.topics, topic, topic)

    def show(record: object) -> None:
        sys.stdout.buffer.write(
            orjson.dumps(record) + b"\n" if not isinstance(record, bytes) else record + b"\n"
        )
        sys.stdout.flush()

    with contextlib.suppress(KeyboardInterrupt):
        read_topic(settings.kafka, name, timeout_s=seconds, on_record=show)
