"""``finsentry model list | add | promote | rollback``: the model registry (models.registry)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from models.registry import Registry
from stream.cli.errors import user_errors
from stream.cli.root import app
from stream.errors import ConfigError

console = Console(stderr=True)
model = typer.Typer(no_args_is_help=True, help="The model registry: list, add, promote, rollback.")
app.add_typer(model, name="model")

RegistryOption = Annotated[
    Path | None, typer.Option(help="registry directory (default: FINSENTRY_MODEL__REGISTRY)")
]


def _registry(ctx: typer.Context, path: Path | None) -> Registry:
    root = path or ctx.obj.model.registry
    if root is None:
        msg = "no model registry: set FINSENTRY_MODEL__REGISTRY or pass --registry DIR"
        raise ConfigError(msg)
    return Registry(root)


def _loads_and_scores(ctx: typer.Context) -> Callable[[Path], None]:
    """The promotion check: the version loads (CPU int8, as the workers here) and scores."""
    from stream.worker.model import probe

    def check(directory: Path) -> None:
        settings = ctx.obj.model.model_copy(update={"dir": directory, "provider": "cpu"})
        probe(settings.load())

    return check


@model.command("list")
@user_errors
def list_cmd(ctx: typer.Context, registry: RegistryOption = None) -> None:
    """The versions the registry holds; the current one is marked."""
    reg = _registry(ctx, registry)
    table = Table(title=f"model registry {reg.root}")
    for col in ("", "version", "added", "variants"):
        table.add_column(col)
    for v in reg.versions():
        table.add_row(
            "*" if v.current else "",
            v.version,
            f"{v.created:%Y-%m-%d %H:%M}",
            ", ".join(v.variants) or "unreadable",
        )
    Console().print(table)
    if reg.current() is None:
        console.print("nothing promoted yet: `finsentry model promote VERSION`")


@model.command("add")
@user_errors
def add_cmd(
    ctx: typer.Context,
    directory: Annotated[Path, typer.Argument(help="a directory written by `finsentry export`")],
    registry: RegistryOption = None,
    promote: Annotated[bool, typer.Option(help="also make it current")] = False,
) -> None:
    """Copy an exported model into the registry (under its manifest version)."""
    reg = _registry(ctx, registry)
    version = reg.add(directory)
    console.print(f"added {version} to {reg.root}")
    if promote:
        previous = reg.promote(version, _loads_and_scores(ctx))
        console.print(f"promoted {version} (was {previous or 'nothing'})")


@model.command("promote")
@user_errors
def promote_cmd(
    ctx: typer.Context,
    version: Annotated[str, typer.Argument(help="a version of `finsentry model list`")],
    registry: RegistryOption = None,
) -> None:
    """Make VERSION current after checking its files' hashes and that it loads and scores;
    running workers swap to it within FINSENTRY_MODEL__WATCH_S."""
    reg = _registry(ctx, registry)
    previous = reg.promote(version, _loads_and_scores(ctx))
    console.print(f"promoted {version} (was {previous or 'nothing'})")


@model.command("rollback")
@user_errors
def rollback_cmd(ctx: typer.Context, registry: RegistryOption = None) -> None:
    """Point back at the version that was current before."""
    was, now = _registry(ctx, registry).rollback()
    console.print(f"rolled back to {now} (was {was})")
