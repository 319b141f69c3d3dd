"""``finsentry model list | add | promote | rollback``: the model registry (models.registry)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich import box
from rich.console import Console
from rich.table import Table

from models.errors import RegistryError
from models.registry import Registry
from stream.cli.errors import user_errors
from stream.cli.root import app
from stream.errors import ConfigError

if TYPE_CHECKING:
    from models.serving.runtime import Classifier

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


def _on_cpu(ctx: typer.Context, directory: Path) -> Classifier:
    """A registry version as the workers here load it (CPU)."""
    return ctx.obj.model.model_copy(update={"dir": directory, "provider": "cpu"}).load()


def _promote(
    ctx: typer.Context,
    reg: Registry,
    version: str,
    gate: bool = True,
    feedback: Path | None = None,
    validation: Path | None = None,
    data: Path | None = None,
) -> None:
    """Promote after the checks: it loads and scores the probes, and (``gate``, when another
    version serves) it passes the promotion gate against the serving one."""
    from stream.worker.model import probe

    def check(directory: Path) -> None:
        candidate = _on_cpu(ctx, directory)
        probe(candidate)
        current = reg.current()
        if gate and current is not None and current != version:
            serving = _on_cpu(ctx, reg.directory(current))
            _gate(serving, candidate, feedback, validation, data)

    previous = reg.promote(version, check)
    console.print(f"promoted {version} (was {previous or 'nothing'})")


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
    promote: Annotated[
        bool, typer.Option(help="also make it current (checked and gated as `promote`)")
    ] = False,
) -> None:
    """Copy an exported model into the registry (under its manifest version)."""
    reg = _registry(ctx, registry)
    version = reg.add(directory)
    console.print(f"added {version} to {reg.root}")
    if promote:
        _promote(ctx, reg, version)


@model.command("promote")
@user_errors
def promote_cmd(
    ctx: typer.Context,
    version: Annotated[str, typer.Argument(help="a version of `finsentry model list`")],
    registry: RegistryOption = None,
    gate: Annotated[
        bool, typer.Option(help="compare with the serving version first (refuse if worse)")
    ] = True,
    feedback: Annotated[
        Path | None, typer.Option(help="feedback rows it must score better than the serving one")
    ] = None,
    validation: Annotated[
        Path | None,
        typer.Option(
            help="news validation file (text,label); default: the serving model's "
            "held-out split, rebuilt from its training data"
        ),
    ] = None,
    data: Annotated[
        Path | None, typer.Option(help="where the serving model's news training data is")
    ] = None,
) -> None:
    """Make VERSION current after checking its files' hashes, that it loads and scores and
    (with --gate) that it is no worse than the serving version on the frozen validation split
    and better on the feedback rows; running workers swap within FINSENTRY_MODEL__WATCH_S."""
    _promote(ctx, _registry(ctx, registry), version, gate, feedback, validation, data)


def _gate(
    current: Classifier,
    candidate: Classifier,
    feedback: Path | None,
    validation: Path | None,
    data: Path | None,
) -> None:
    from models.datasets import load_labelled
    from models.feedback import load_feedback
    from models.gate import promotion_gate
    from models.tasks import NEWS
    from models.training.calibrate import validation_sets

    sets = (
        {"news": load_labelled(validation, NEWS)}
        if validation is not None
        else validation_sets(current.manifest, data)
    )
    result = promotion_gate(current, candidate, sets, load_feedback(feedback) if feedback else None)
    table = Table(
        title=f"candidate {candidate.manifest.version} vs serving {current.manifest.version}",
        box=box.SIMPLE_HEAD,
        padding=(0, 1),
        pad_edge=False,
    )
    delta = "Δ points (90 %)"  # of accuracy, paired bootstrap over the same texts
    for col in ("split", "task", "n", "acc now", "acc new", delta, "F1 now", "F1 new"):
        table.add_column(col, no_wrap=col in ("split", "task", delta))
    for r in result.rows:
        low, high = (100 * v for v in r.delta_interval)
        table.add_row(r.split, r.task, str(r.texts), f"{r.current_accuracy:.3f}",
                      f"{r.candidate_accuracy:.3f}",
                      f"{r.delta * 100:+.1f} ({low:+.1f}…{high:+.1f})",
                      f"{r.current_macro_f1:.3f}", f"{r.candidate_macro_f1:.3f}")  # fmt: skip
    Console().print(table)
    if not result.passed:
        msg = (
            f"promotion refused: {'; '.join(result.refusals)}. Retrain, or promote with "
            "--no-gate to override"
        )
        raise RegistryError(msg)


@model.command("rollback")
@user_errors
def rollback_cmd(ctx: typer.Context, registry: RegistryOption = None) -> None:
    """Point back at the version that was current before."""
    was, now = _registry(ctx, registry).rollback()
    console.print(f"rolled back to {now} (was {was})")
