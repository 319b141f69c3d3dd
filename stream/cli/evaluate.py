"""``finsentry eval``: a model's report on a labelled file, and with ``--against`` a paired
comparison with another model on the same texts."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import orjson
import typer
from rich.console import Console
from rich.table import Table

from stream.cli.errors import user_errors
from stream.cli.model import model_settings
from stream.cli.root import app

if TYPE_CHECKING:
    from models.compare import Comparison
    from models.metrics import ClassificationReport

console = Console(stderr=True)


@app.command("eval")
@user_errors
def eval_cmd(
    ctx: typer.Context,
    data: Annotated[Path, typer.Option(help="labelled CSV/JSONL (text,label)")],
    task: Annotated[str, typer.Option()] = "news",
    variant: Annotated[str | None, typer.Option(help="int8, fp16 or fp32")] = None,
    model_dir: Annotated[Path | None, typer.Option()] = None,
    json_out: Annotated[Path | None, typer.Option("--json")] = None,
    half: Annotated[
        str,
        typer.Option(
            help="of a training run's validation file: all, dev (what chose the epoch and "
            "the temperature) or test (never looked at)"
        ),
    ] = "all",
    against: Annotated[
        Path | None,
        typer.Option(
            help="another model directory, scored on the same texts: paired differences "
            "with 90 % intervals and McNemar's test"
        ),
    ] = None,
) -> None:
    """Accuracy, macro-F1, per-class report, confusion matrix and calibration (ECE, a
    reliability diagram PNG next to the JSON) of any variant on any file; ``--against`` DIR
    says whether this model beats another one on the same texts, and by how much for sure."""
    from models.calibration import ece_spread, expected_calibration_error, reliability_diagram
    from models.compare import compare
    from models.datasets import held_out_halves, load_labelled
    from models.evaluate import probabilities_of
    from models.metrics import classification_report
    from models.tasks import get_task

    if half not in ("all", "dev", "test"):
        msg = f"{half!r}: use all, dev or test"
        raise typer.BadParameter(msg, param_hint="--half")
    clf = model_settings(ctx, dir=model_dir, variant=variant).load()
    other = None if against is None else model_settings(ctx, dir=against, variant=variant).load()
    labelled = load_labelled(data, get_task(task))
    if half != "all":
        labelled = held_out_halves(labelled)[half == "test"]
    models = [clf] if other is None else [clf, other]
    per_model, labels, unscored = probabilities_of(labelled, *models)  # paired: texts all scored
    probs, other_probs = per_model[0], per_model[-1]
    report = classification_report(
        labels.tolist(), probs.argmax(axis=1).tolist(), labelled.task.labels
    )
    ece = expected_calibration_error(probs, labels) if len(labels) else None
    spread = ece_spread(probs, labels) if len(labels) else None
    confidence = float(probs.max(axis=1).mean()) if len(labels) else None
    where = data if half == "all" else f"{data} ({half} half)"
    _print_report(report, f"{task} on {where} — {clf.version} ({clf.provider})")
    calibration = (
        ""
        if ece is None or spread is None
        else f"  ECE {ece:.4f} (90 % interval {spread.low:.3f}–{spread.high:.3f}; a perfectly "
        f"calibrated model would show ~{spread.floor:.3f} on {len(labels)} texts)"
        f"  mean confidence {confidence:.3f} (temperature {clf.temperature(task)})"
    )
    Console().print(
        f"accuracy {report.accuracy:.4f}  macro-F1 {report.macro_f1:.4f}  unscored {unscored}"
        + calibration
    )
    comparison = None
    if other is not None and len(labels):
        comparison = compare(probs, other_probs, labels)
        _print_comparison(comparison, clf.version, other.version)
    if json_out:
        payload = {
            "data": str(data),
            "half": half,
            "task": task,
            "model": clf.version,
            "provider": clf.provider,
            "unscored": unscored,
            "ece": ece,
            "ece_interval_90": None if spread is None else [spread.low, spread.high],
            "ece_perfect_floor": None if spread is None else spread.floor,
            "mean_confidence": confidence,
            "temperature": clf.temperature(task),
            **report.to_dict(),
        }
        if other is not None:
            payload["against"] = {
                "model": other.version,
                "model_dir": str(against),
                **(comparison.to_dict() if comparison else {}),
            }
        json_out.write_bytes(orjson.dumps(payload, option=orjson.OPT_INDENT_2))
        if len(labels):
            curves = {clf.version: probs}
            if other is not None:
                name = other.version
                curves[f"{name} (--against)" if name == clf.version else name] = other_probs
            png = reliability_diagram(
                curves, labels, json_out.with_suffix(".png"), f"{task} on {where}"
            )
            console.print(f"wrote {json_out} and {png}")


def _print_report(report: ClassificationReport, title: str) -> None:
    table = Table(title=title)
    for col in ("class", "precision", "recall", "F1", "support"):
        table.add_column(col)
    for i, name in enumerate(report.labels):
        table.add_row(
            name,
            f"{report.precision[i]:.3f}",
            f"{report.recall[i]:.3f}",
            f"{report.f1[i]:.3f}",
            str(report.support[i]),
        )
    Console().print(table)
    cm = Table(title="confusion matrix (rows: true, columns: predicted)")
    cm.add_column("")
    for name in report.labels:
        cm.add_column(name)
    for name, row in zip(report.labels, report.confusion, strict=True):
        cm.add_row(name, *map(str, row))
    Console().print(cm)


def _print_comparison(comparison: Comparison, this: str, other: str) -> None:
    table = Table(title=f"this model against {other}, same {comparison.texts} texts (paired)")
    for col in ("metric", "this", "against", "this − against", "90 % interval"):
        table.add_column(col)
    for d in comparison.differences:
        name = "ECE (lower is better)" if d.metric == "ece" else d.metric.replace("_", "-")
        table.add_row(
            name,
            f"{d.this:.4f}",
            f"{d.other:.4f}",
            f"{d.delta:+.4f}",
            f"{d.low:+.4f} … {d.high:+.4f}",
        )
    Console().print(table)
    Console().print(
        f"right only here {comparison.only_this_right}, only there "
        f"{comparison.only_other_right}: McNemar exact p = {comparison.mcnemar_p:.3f} "
        f"({this} vs {other})"
    )
