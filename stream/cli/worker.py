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
    speed: Annotated[
        float,
        typer.Option(
            min=0,
            help="minutes of event time per minute: the default plays the story in about three "
            "minutes; 0 sends everything at once",
        ),
    ] = 15.0,
    loop: Annotated[
        bool, typer.Option(help="keep feeding fresh, event-time-shifted feeds (until Ctrl-C)")
    ] = False,
    exit_after: Annotated[
        float | None,
        typer.Option(help="stop by itself after this many seconds (default: run until Ctrl-C)"),
    ] = None,
    dashboard: Annotated[
        bool | None,
        typer.Option(
            "--dashboard/--no-dashboard",
            help="the live dashboard (default: on an interactive terminal; else alert lines)",
        ),
    ] = None,
    prometheus: Annotated[
        bool, typer.Option(help="also start a real Prometheus with the repository's rules")
    ] = False,
) -> None:
    """Embedded broker + worker + the sample feed replayed in accelerated time: alerts fire."""
    from stream.demo.run import DemoOptions, run_demo

    options = DemoOptions(minutes, speed, loop, exit_after, dashboard, prometheus)
    sys.exit(run_demo(ctx.obj, options, console=console))


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
