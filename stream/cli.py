"""The ``finsentry`` command: builds the settings once and hands them to each command."""

from __future__ import annotations

import logging

import typer

from stream.settings import Settings

__all__ = ["app", "build", "main"]

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    help="finsentry: financial sentiment and transaction-risk monitoring.",
)
bench = typer.Typer(no_args_is_help=True, help="Benchmarks that print a table and write JSON.")
app.add_typer(bench, name="bench")


@app.callback()
def _setup(ctx: typer.Context) -> None:
    settings = Settings()
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    ctx.obj = settings


_registered: list[bool] = []


def build() -> typer.Typer:
    """The ``finsentry`` app with every command registered (once)."""
    if not _registered:
        from models.commands import register as register_models
        from stream.commands import register as register_stream
        from stream.rescore.commands import register as register_rescore

        register_models(app, bench)
        register_stream(app, bench)
        register_rescore(app, bench)
        _registered.append(True)
    return app


def main() -> None:
    build()()
