"""The root ``finsentry`` command: builds the settings once and hands them to every command.

Command modules (``stream.cli.worker``, ``data``, ``rescore``, ``model``, ``bench``) add their
commands to :data:`app` (and :data:`bench`, the ``finsentry bench`` group) when imported.
"""

from __future__ import annotations

import logging

import typer
from pydantic import ValidationError

from stream.cli.errors import fail
from stream.errors import ConfigError
from stream.settings import Settings

__all__ = ["app", "bench", "settings_error"]

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    help="finsentry: financial sentiment and transaction-risk monitoring.",
)
bench = typer.Typer(no_args_is_help=True, help="Benchmarks that print a table and write JSON.")
app.add_typer(bench, name="bench")


def settings_error(exc: ValidationError) -> ConfigError:
    """A one-line error naming the first invalid ``FINSENTRY_*`` variable and what it allows."""
    first = exc.errors()[0]
    variable = "FINSENTRY_" + "__".join(str(part).upper() for part in first["loc"])
    allowed = first.get("ctx", {}).get("expected")
    hint = f" (allowed: {allowed})" if allowed else ""
    return ConfigError(f"{variable}: {first['msg']}{hint}; fix or unset it")


@app.callback()
def _setup(ctx: typer.Context) -> None:
    try:
        settings = Settings()
    except ValidationError as exc:
        raise fail(settings_error(exc)) from exc
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    ctx.obj = settings
