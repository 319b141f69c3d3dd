"""``finsentry rescore``: the worker's stages over files or a Kafka range."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated, Any, Literal

import orjson
import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from stream.cli.errors import EXIT_INTERRUPTED, EXIT_REJECTS, user_errors
from stream.cli.root import app
from stream.rescore.run import RescoreJob, Summary, run_rescore
from stream.settings import Settings

log = logging.getLogger(__name__)
console = Console(stderr=True)


def _summary_table(summary: Summary) -> Table:
    table = Table(title="rescore summary")
    table.add_column("measure")
    table.add_column("value", justify="right")
    rows: list[tuple[str, Any]] = [
        ("records read", summary.read),
        ("scored", summary.scored),
        ("rejected", summary.rejected),
        *((f"  rejected: {k}", v) for k, v in sorted(summary.reasons.items())),
        ("seconds (this run)", f"{summary.seconds:.1f}"),
        ("records/s (this run)", f"{summary.records_per_s:.1f}"),
        ("model", summary.model_version),
        ("execution provider", summary.provider),
        *((f"output: {k}", v) for k, v in summary.outputs.items()),
    ]
    for name, value in rows:
        table.add_row(name, str(value))
    return table


def _comparison_table(report: dict[str, Any]) -> Table:
    table = Table(title=f"{report['model_a']}  vs  {report['model_b']}")
    table.add_column("measure")
    table.add_column("value", justify="right")
    agreement = report["agreement"]
    table.add_row("records compared", str(report["records"]))
    table.add_row("label agreement", "-" if agreement is None else f"{agreement:.4f}")
    table.add_row("mean |score shift|", f"{report['mean_abs_shift'] or 0:.4f}")
    for pair, n in report["label_flips"].items():
        table.add_row(f"flip {pair}", str(n))
    for row in report["largest_shifts"][:5]:
        table.add_row(f"shift {row['shift']:+.3f} ({row['id']})", row["text"][:60])
    for row in report["topic_mean_shift"][:5]:
        table.add_row(f"topic {row['topic']}", f"{row['mean_shift']:+.4f} (n={row['records']})")
    return table


@app.command("rescore")
@user_errors
def rescore_cmd(
    ctx: typer.Context,
    inputs: Annotated[
        list[str] | None, typer.Argument(help="JSONL/CSV/Parquet files or globs")
    ] = None,
    topic: Annotated[
        str | None, typer.Option(help="read this Kafka topic instead of files")
    ] = None,
    start: Annotated[
        str, typer.Option("--from", help="earliest | latest | OFFSET | P:OFF,... | ISO time")
    ] = "earliest",
    end: Annotated[str, typer.Option("--to", help="same forms as --from (exclusive)")] = "latest",
    kind: Annotated[
        Literal["news", "transaction"] | None,
        typer.Option(help="record kind (default: from the topic, else news)"),
    ] = None,
    input_format: Annotated[
        str | None, typer.Option(help="jsonl | csv | parquet (default: from the extension)")
    ] = None,
    out: Annotated[
        str,
        typer.Option(
            "--out", "-o", help="FILE.jsonl, FILE.parquet (a directory of parts) or kafka:TOPIC"
        ),
    ] = "rescored.jsonl",
    rejects: Annotated[Path | None, typer.Option(help="default: OUT.rejects.jsonl")] = None,
    checkpoint: Annotated[Path | None, typer.Option(help="default: OUT.checkpoint.json")] = None,
    chunk_size: Annotated[int, typer.Option(min=1, help="records per scoring call")] = 512,
    flush_rows: Annotated[int, typer.Option(min=1, help="records between checkpoints")] = 20_000,
    compare: Annotated[
        Path | None, typer.Option(help="also score with this model directory and report the diff")
    ] = None,
    compare_variant: Annotated[
        str | None, typer.Option(help="variant of the compared model (int8, fp16, fp32)")
    ] = None,
    report: Annotated[
        Path | None, typer.Option(help="compare report JSON (default: OUT.compare.json)")
    ] = None,
    backtest: Annotated[
        Path | None, typer.Option(help="write windows and alerts to this directory")
    ] = None,
    backtest_format: Annotated[Literal["csv", "parquet"], typer.Option()] = "csv",
    plot: Annotated[
        bool, typer.Option(help="with --backtest: a PNG per subject that alerted (DIR/plots/)")
    ] = False,
    restart: Annotated[bool, typer.Option(help="ignore an existing checkpoint")] = False,
    allow_errors: Annotated[bool, typer.Option(help="exit 0 even when rows were rejected")] = False,
) -> None:
    """Re-score files or a Kafka range with the worker's stages (resumable; Ctrl-C to pause)."""
    settings: Settings = ctx.obj
    job = RescoreJob(
        inputs=tuple(inputs or ()),
        topic=getattr(settings.kafka.topics, topic, topic) if topic else None,
        start=start,
        end=end,
        kind=kind,
        input_format=input_format,
        out=out,
        rejects=rejects,
        checkpoint=checkpoint,
        chunk_size=chunk_size,
        flush_rows=flush_rows,
        compare=compare,
        compare_variant=compare_variant,
        backtest=backtest,
        backtest_format=backtest_format,
        plot=plot,
        restart=restart,
    )
    columns = (
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TaskProgressColumn(),
        TextColumn("{task.fields[rate]:.0f} rec/s"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, transient=False) as progress:
        task = progress.add_task("rescoring", total=None, rate=0.0)

        def on_progress(done: int, total: int) -> None:
            elapsed = progress.tasks[0].elapsed or 1e-9
            progress.update(task, completed=done, total=total, rate=done / elapsed)

        summary = run_rescore(settings, job, on_progress=on_progress)
    Console().print(_summary_table(summary))
    if summary.comparison is not None:
        path = report or Path(job.stem().name + ".compare.json")
        path.write_bytes(orjson.dumps(summary.comparison, option=orjson.OPT_INDENT_2))
        Console().print(_comparison_table(summary.comparison))
        console.print(f"compare report: {path}")
    if summary.already_complete:
        console.print("this run was already complete (--restart to run it again)")
    if summary.interrupted:
        console.print("[yellow]interrupted[/yellow]: run the same command again to continue")
        raise typer.Exit(EXIT_INTERRUPTED)
    if summary.rejected and not allow_errors:
        console.print(
            f"[yellow]{summary.rejected} rows rejected[/yellow] (see {summary.outputs['rejects']}"
            "); pass --allow-errors to exit 0 anyway"
        )
        raise typer.Exit(EXIT_REJECTS)
