"""``finsentry worker``, ``demo`` and ``dashboards``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from stream.cli.errors import user_errors
from stream.cli.root import app

console = Console(stderr=True)


@app.command("worker")
@user_errors
def worker_cmd(ctx: typer.Context) -> None:
    """Consume news and transactions from Kafka, score, window, alert (Ctrl-C stops)."""
    from stream.worker.run import run_worker

    run_worker(ctx.obj)


@app.command("demo")
@user_errors
def demo_cmd(
    ctx: typer.Context,
    minutes: Annotated[int, typer.Option(help="length of the sample feed (event time)")] = 45,
    exit_after: Annotated[
        float | None,
        typer.Option(help="stop by itself after this many seconds (default: run until Ctrl-C)"),
    ] = None,
) -> None:
    """Embedded broker + worker + sample feed with an injected surge: alerts really fire."""
    from stream.demo.run import run_demo

    sys.exit(run_demo(ctx.obj, minutes=minutes, exit_after=exit_after, console=console))


@app.command("dashboards")
def dashboards_cmd(
    out: Annotated[Path, typer.Option(help="where Grafana provisions dashboards from")] = Path(
        "deploy/grafana/dashboards"
    ),
) -> None:
    """Write the Grafana dashboards (built in code) as JSON."""
    from exporters.dashboards import write_dashboards

    for path in write_dashboards(out):
        console.print(f"wrote {path}")
