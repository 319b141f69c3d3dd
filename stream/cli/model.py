"""``finsentry train``, ``sweep``, ``export``, ``requantize``, ``calibrate`` and ``score``
(``eval`` lives in ``evaluate``)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import orjson
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from models.settings import ModelSettings
from stream.cli.errors import user_errors
from stream.cli.root import app

console = Console(stderr=True)

TFNS_DEFAULT = Path("../shared/data/tfns")


@app.command("train")
@user_errors
def train_cmd(
    task: Annotated[list[str], typer.Option(help="news and/or transactions (shared encoder)")] = [  # noqa: B006
        "news",
        "transactions",
    ],
    data: Annotated[
        Path, typer.Option(help="news CSV/JSONL file or folder (text,label)")
    ] = TFNS_DEFAULT,
    transactions_data: Annotated[
        Path | None,
        typer.Option(help="labelled transaction texts; default: simulate with finforge"),
    ] = None,
    base_model: Annotated[str, typer.Option(help="base checkpoint: path or hub id")] = (
        "all-MiniLM-L6-v2"
    ),
    out: Annotated[Path, typer.Option()] = Path("build/train"),
    epochs: int = 4,
    batch_size: int = 32,
    learning_rate: float = 6e-5,
    patience: int = 1,
    transactions_count: int = 6000,
    seed: int = 13,
    max_examples: Annotated[int | None, typer.Option(help="tiny subset per task (tests)")] = None,
    max_steps: int | None = None,
    augment: Annotated[bool, typer.Option(help="strip cashtags/handles at random")] = True,
    label_smoothing: float = 0.0,
    class_weight_power: Annotated[
        float, typer.Option(help="class weight = inverse frequency ** power (0: none)")
    ] = 0.5,
    device: Annotated[str, typer.Option(help="auto (CUDA if torch sees one), cpu, cuda")] = "auto",
    teacher: Annotated[
        list[Path] | None,
        typer.Option(
            help="distil from a `finsentry train` --out folder or an exported model "
            "(e.g. the shipped one); it must hold out this run's split (same data and --seed). "
            "Given more than once: an ensemble (log-probabilities averaged)"
        ),
    ] = None,
    distill_weight: Annotated[
        float, typer.Option(help="share of the loss given to the teacher's soft labels")
    ] = 0.5,
    distill_temperature: float = 2.0,
    transfer_copies: Annotated[
        int, typer.Option(help="edited copies of each news text to train on (teacher-labelled)")
    ] = 0,
    feedback: Annotated[
        Path | None,
        typer.Option(help="labelled rows of `finsentry feedback export`, added to the data"),
    ] = None,
    feedback_weight: Annotated[int, typer.Option(help="times each feedback row counts")] = 5,
    detweet_copies: Annotated[
        bool,
        typer.Option(help="add a newswire copy of each news text (no cashtags, handles, emoji)"),
    ] = False,
    report_sentences: Annotated[
        int, typer.Option(help="templated report sentences added to the news training data")
    ] = 0,
    select_on: Annotated[
        str,
        typer.Option(help="pick the best epoch on the whole validation split or its dev half"),
    ] = "validation",
    select_task: Annotated[
        str | None,
        typer.Option(help="the task whose macro-F1 picks the epoch (default: the tasks' mean)"),
    ] = None,
) -> None:
    """Fine-tune the classifier (shared encoder, one head per task)."""
    from models.training.train import TrainConfig, train

    cfg = TrainConfig(
        tasks=tuple(task),
        base_model=base_model,
        news_data=data,
        transactions_data=transactions_data,
        out_dir=out,
        epochs=epochs,
        batch_size=batch_size,
        learning_rate=learning_rate,
        patience=patience,
        transactions_count=transactions_count,
        seed=seed,
        max_examples_per_task=max_examples,
        max_steps=max_steps,
        augment=augment,
        label_smoothing=label_smoothing,
        class_weight_power=class_weight_power,
        device=device,
        teachers=tuple(teacher or ()),
        distill_weight=distill_weight,
        distill_temperature=distill_temperature,
        transfer_copies=transfer_copies,
        feedback=feedback,
        feedback_weight=feedback_weight,
        detweet_copies=detweet_copies,
        report_sentences=report_sentences,
        select_on=select_on,
        select_task=select_task,
    )
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console) as bar:
        job = bar.add_task("training", total=None)

        def progress(step: int, total: int, what: str) -> None:
            bar.update(job, completed=step, total=total, description=what)

        result = train(cfg, progress)
    for name, report in result.reports.items():
        console.print(f"{name}: accuracy {report.accuracy:.4f} macro-F1 {report.macro_f1:.4f}")
    console.print(f"saved to {result.out_dir} (best epoch {result.best_epoch})")


@app.command("export")
@user_errors
def export_cmd(
    train_dir: Annotated[Path, typer.Option()] = Path("build/train"),
    out: Annotated[Path, typer.Option()] = Path("build/model"),
    keep_fp32: bool = True,
) -> None:
    """Export to ONNX with parity gates; int8 (shipped) and fp16 (derived) variants + manifest."""
    from models.training.export import ExportConfig, export_model

    manifest = export_model(ExportConfig(train_dir=train_dir, out_dir=out, keep_fp32=keep_fp32))
    for variant, spec in manifest.variants.items():
        for task, m in spec.get("metrics", {}).items():
            console.print(
                f"{variant:5} {task:13} accuracy {m['accuracy']:.4f} "
                f"macro-F1 {m['macro_f1']:.4f} {m.get('vs_fp32', '')}"
            )
    console.print(f"wrote {manifest.directory} ({manifest.version})")


@app.command("requantize")
@user_errors
def requantize_cmd(
    model_dir: Annotated[Path | None, typer.Option(help="default: the shipped model")] = None,
) -> None:
    """Rewrite the int8 encoder with this version's quantizer: the same integer weights, newer
    kernels; gated on scoring the sample headlines as before (nothing written otherwise)."""
    from models.serving.runtime import shipped_model_dir
    from models.training.requantize import requantize
    from stream.demo.sample import labelled_headlines

    texts = [text for text, _ in labelled_headlines(2048)]
    done = requantize(model_dir or shipped_model_dir(), texts)
    console.print(
        f"{done.old_version} -> {done.new_version}: integer weights "
        f"{'identical' if done.integers_equal else 'changed'}, max probability delta "
        f"{done.max_prob_delta:.1e} on {done.texts} headlines"
    )


@app.command("calibrate")
@user_errors
def calibrate_cmd(
    ctx: typer.Context,
    model_dir: Annotated[Path | None, typer.Option(help="default: the shipped model")] = None,
    data: Annotated[
        Path | None, typer.Option(help="the news training data (default: as trained)")
    ] = None,
) -> None:
    """Fit each task's temperature on the validation split training held out; write it, the
    ECE before and after and a reliability diagram into the model directory."""
    from models.training.calibrate import calibrate, validation_sets

    clf = model_settings(ctx, dir=model_dir, variant="int8", provider="cpu").load()
    found = calibrate(clf, validation_sets(clf.manifest, data))
    table = Table(title=f"calibration of {clf.version} (held-out half of the validation split)")
    for col in ("task", "temperature", "ECE before", "ECE after", "confidence", "accuracy"):
        table.add_column(col)
    for c in found.values():
        table.add_row(
            c.task,
            f"{c.temperature}",
            f"{c.ece_before:.4f}",
            f"{c.ece_after:.4f}",
            f"{c.mean_confidence_before:.3f} -> {c.mean_confidence_after:.3f}",
            f"{c.accuracy:.4f}",
        )
    Console().print(table)
    console.print(f"wrote {clf.manifest.directory} (manifest, MODEL_CARD.md, reliability-*.png)")


def model_settings(ctx: typer.Context, **overrides: object) -> ModelSettings:
    base: ModelSettings = getattr(ctx.obj, "model", None) or ModelSettings()
    return base.model_copy(update={k: v for k, v in overrides.items() if v is not None})


@app.command("score")
@user_errors
def score_cmd(
    ctx: typer.Context,
    texts: Annotated[
        list[str] | None, typer.Argument(help="texts; none: one per stdin line")
    ] = None,
    task: str = "news",
    model_dir: Annotated[Path | None, typer.Option()] = None,
) -> None:
    """Score texts and print one JSON line each."""
    lines = texts or [line.rstrip("\n") for line in sys.stdin]
    scorer = model_settings(ctx, dir=model_dir).load().scorer(task)
    for text, score in zip(lines, scorer.score_batch(lines), strict=True):
        sys.stdout.buffer.write(
            orjson.dumps(
                {
                    "text": text[:200],
                    "label": score.label,
                    "score": score.score,
                    "probabilities": score.probabilities,
                    "model_version": score.model_version,
                    "error": score.error,
                }
            )
            + b"\n"
        )


@app.command("sweep")
@user_errors
def sweep_cmd(
    data: Annotated[
        Path, typer.Option(help="news CSV/JSONL file or folder (text,label)")
    ] = TFNS_DEFAULT,
    out: Annotated[Path, typer.Option()] = Path("build/sweep"),
    parallel: Annotated[int, typer.Option(help="candidates trained at once")] = 4,
    threads: Annotated[int, typer.Option(help="CPU threads per candidate")] = 2,
    transactions_count: int = 3000,
    seed: int = 13,
    device: str = "auto",
    max_examples: Annotated[int | None, typer.Option(help="tiny subset per task (tests)")] = None,
    max_steps: int | None = None,
) -> None:
    """Pick training settings on an inner split, then train the winner (validation untouched)."""
    from models.training.sweep import run_sweep
    from models.training.train import TrainConfig

    base = TrainConfig(
        news_data=data,
        transactions_count=transactions_count,
        seed=seed,
        threads=threads,
        device=device,
        max_examples_per_task=max_examples,
        max_steps=max_steps,
    )
    report = run_sweep(base, out, parallel=parallel)
    table = Table(title="news sweep (inner split of the training part)")
    keys = ["candidate", "learning_rate", "epochs", "batch_size", "label_smoothing"]
    keys += ["class_weight_power", "augment", "best_epoch", "accuracy", "macro_f1", "seconds"]
    for key in keys:
        table.add_column(key)
    for row in report["inner_rows"]:
        table.add_row(*(str(row.get(k, "")) for k in keys))
    console.print(table)
    final = report["final"]
    console.print(
        f"winner {report['winner']} trained on the full training part → {final['out_dir']}: "
        f"validation accuracy {final['accuracy']} macro-F1 {final['macro_f1']}"
    )
    (out / "sweep.json").write_bytes(orjson.dumps(report, option=orjson.OPT_INDENT_2))
