"""``finsentry top``: the live terminal dashboard."""

from __future__ import annotations

from typing import Annotated, Literal

import typer

from stream.cli.errors import user_errors
from stream.cli.root import app
from stream.settings import Settings


@app.command("top")
@user_errors
def top_cmd(
    ctx: typer.Context,
    metrics_url: Annotated[
        str | None,
        typer.Option(help="the worker's /metrics (default: FINSENTRY_METRICS__HOST and __PORT)"),
    ] = None,
    interval: Annotated[float, typer.Option(min=0.2, help="seconds between refreshes")] = 2.0,
    once: Annotated[bool, typer.Option(help="print one frame and exit (scripts, tests)")] = False,
    sort: Annotated[Literal["records", "mean", "share", "name"], typer.Option()] = "records",
    prefix: Annotated[str, typer.Option(help="only subjects starting so: ticker:, sector:")] = "",
    kind: Annotated[Literal["news", "transaction"] | None, typer.Option()] = None,
    alerts: Annotated[
        bool, typer.Option(help="also read the alerts topic (each alert's value and time)")
    ] = True,
) -> None:
    """Live dashboard of a running worker: subjects, firing alerts, throughput, lag."""
    from rich.console import Console

    from stream.top.run import run_top
    from stream.top.view import ViewOptions

    settings: Settings = ctx.obj
    url = metrics_url or f"http://{settings.metrics.host}:{settings.metrics.port}/metrics"
    console = Console()
    options = ViewOptions(sort=sort, prefix=prefix, kind=kind, height=console.size.height)
    raise typer.Exit(
        run_top(
            url,
            interval_s=interval,
            once=once,
            options=options,
            console=console,
            kafka=settings.kafka if alerts else None,
            alerts_topic=settings.kafka.topics.alerts,
        )
    )
