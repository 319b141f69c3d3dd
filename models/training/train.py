"""Fine-tune one shared encoder with a classification head per task (news, transactions).

One encoder serves both tasks so the shipped int8 model stays under the size budget; each
task keeps its own linear head over the mean-pooled token embeddings. Training interleaves
single-task batches, weights classes by inverse frequency (square-rooted) and stops early on
the mean validation macro-F1 of the trained tasks. Needs the ``train`` extra.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from models.datasets import LabelledTexts, held_out_halves, load_labelled, stratified_split
from models.errors import ModelError, TrainingDataError
from models.feedback import load_feedback, with_feedback
from models.metrics import ClassificationReport, classification_report
from models.tasks import NEWS, TRANSACTIONS, TaskSpec, get_task
from models.training.augment import augment_news, with_transfer_copies
from models.training.distill import (
    combine_teachers,
    describe_teacher,
    distillation_loss,
    soft_labels,
)
from models.training.newswire import with_newswire
from models.training.torch_model import (
    DEFAULT_BASE,
    Batcher,
    build_model,
    predict_logits,
    resolve_base_model,
    to_device,
)

__all__ = ["TrainConfig", "TrainResult", "check_config", "epoch_score", "train"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class TrainConfig:
    tasks: tuple[str, ...] = ("news", "transactions")
    base_model: str = DEFAULT_BASE
    news_data: Path = Path("../shared/data/tfns")
    transactions_data: Path | None = None  # None: simulate with finforge
    transactions_count: int = 6000
    out_dir: Path = Path("build/train")
    epochs: int = 4
    batch_size: int = 32
    learning_rate: float = 6e-5
    head_learning_rate: float = 1e-3
    max_length: int = 128
    validation_fraction: float = 0.2
    patience: int = 1
    seed: int = 13
    threads: int = 2
    max_examples_per_task: int | None = None  # a tiny subset for tests
    max_steps: int | None = None
    augment: bool = True
    device: str = "auto"  # auto: CUDA when torch sees a GPU, else CPU
    label_smoothing: float = 0.0
    class_weight_power: float = 0.5  # class weight = (inverse frequency) ** power; 0 = none
    # `finsentry train` or exported directories to distil from (models.training.distill); with
    # more than one, the student learns their averaged log-probabilities (an ensemble)
    teachers: tuple[Path, ...] = ()
    distill_weight: float = 0.5  # α: share of the loss taken by the teacher's soft labels
    distill_temperature: float = 2.0
    transfer_copies: int = (
        0  # edited copies of each news text added to training (models.training.augment)
    )
    feedback: Path | None = None  # labelled rows of `finsentry feedback export`
    feedback_weight: int = 5  # each feedback row counts this many times (old data kept)
    detweet_copies: bool = False  # add a newswire copy of each news text (models.training.newswire)
    report_sentences: int = 0  # templated report sentences added to the news training data
    # "validation": the best epoch is chosen on the whole validation split; "dev": on its dev
    # half only, so its test half (models.datasets.held_out_halves) is never looked at
    select_on: str = "validation"
    # the task whose macro-F1 picks the epoch (None: the mean over the trained tasks); the
    # encoder is shared, so a news-first run can keep the epoch its news head was best at
    select_task: str | None = None


@dataclass(frozen=True, slots=True)
class TrainResult:
    out_dir: Path
    reports: dict[str, ClassificationReport]
    best_epoch: int
    data_sha256: dict[str, str] = field(default_factory=dict)


def _load_task_data(task: TaskSpec, config: TrainConfig) -> LabelledTexts:
    if task is NEWS:
        if not config.news_data.exists():
            msg = (
                f"news training data {config.news_data} does not exist: finsentry ships no "
                "sentiment corpus. Put the twitter-financial-news-sentiment training split "
                "(MIT licence; CSV text,label with 0 bearish, 1 bullish, 2 neutral) at "
                "../shared/data/tfns/, or pass --data PATH (any CSV/JSONL with text and label "
                "columns)"
            )
            raise TrainingDataError(msg)
        data = load_labelled(config.news_data, NEWS)
    elif config.transactions_data is not None:
        data = load_labelled(config.transactions_data, TRANSACTIONS)
    else:
        from models.training.simulate import simulate_transactions
        from models.transactions import render_transaction

        pairs = list(simulate_transactions(config.transactions_count, seed=config.seed))
        data = LabelledTexts(
            tuple(render_transaction(tx) for tx, _ in pairs),
            tuple(TRANSACTIONS.labels.index(label) for _, label in pairs),
            TRANSACTIONS,
            f"finforge-3.0.0:seed={config.seed}:n={config.transactions_count}",
        )
    if config.max_examples_per_task is not None:
        data, _ = (
            stratified_split(data, 1 - config.max_examples_per_task / len(data), config.seed)
            if config.max_examples_per_task < len(data)
            else (data, data)
        )
    return data


def _pick_device(name: str) -> Any:
    import torch

    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    if name.startswith("cuda") and not torch.cuda.is_available():
        msg = "--device cuda: torch sees no CUDA GPU; use --device cpu"
        raise ModelError(msg)
    log.info("training on %s", name)
    return torch.device(name)


def _evaluate(
    model: Any, batcher: Batcher, val: dict[str, LabelledTexts]
) -> dict[str, ClassificationReport]:
    reports = {}
    for name, data in val.items():
        logits = predict_logits(model, batcher, name, data.texts)
        reports[name] = classification_report(
            data.labels, logits.argmax(1).tolist(), data.task.labels
        )
    return reports


def _training_sets(
    config: TrainConfig, tasks: list[TaskSpec]
) -> tuple[dict[str, LabelledTexts], dict[str, LabelledTexts], dict[str, range]]:
    """Train and validation sets per task, and the rows of ``train`` that are templated report
    sentences (the split first, then the copies and extra text added to the training part)."""
    splits = {
        t.name: stratified_split(
            _load_task_data(t, config), config.validation_fraction, config.seed
        )
        for t in tasks
    }
    train_sets: dict[str, LabelledTexts] = {name: s[0] for name, s in splits.items()}
    val_sets: dict[str, LabelledTexts] = {name: s[1] for name, s in splits.items()}
    if config.transfer_copies and "news" in train_sets:
        train_sets["news"] = with_transfer_copies(
            train_sets["news"], config.transfer_copies, config.seed
        )
    # report sentences come last (more of them instead of edited copies) and are not
    # moved by what follows: feedback rows are appended after them
    report_rows: dict[str, range] = {}
    if (config.detweet_copies or config.report_sentences) and "news" in train_sets:
        news = with_newswire(
            train_sets["news"], config.report_sentences, config.seed, copies=config.detweet_copies
        )
        train_sets["news"] = news
        report_rows["news"] = range(len(news) - config.report_sentences, len(news))
    if config.feedback is not None:
        for name, rows in load_feedback(config.feedback).items():
            if name in train_sets:
                train_sets[name] = with_feedback(
                    train_sets[name], rows, config.feedback_weight, val_sets[name]
                )
                log.info("task %s: %d feedback rows x %d", name, len(rows), config.feedback_weight)
    for name, data in train_sets.items():
        log.info(
            "task %s: %d train / %d validation, classes %s",
            name,
            len(data),
            len(val_sets[name]),
            data.class_counts(),
        )
    return train_sets, val_sets, report_rows


def _jsonable(value: object) -> object:
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, tuple) and any(isinstance(v, Path) for v in value):
        return [str(v) for v in value]
    return value


def check_config(config: TrainConfig) -> None:
    """The options that can be wrong on their own, checked before any data or weights load."""
    if config.select_on not in ("validation", "dev"):
        msg = f"--select-on {config.select_on!r}: use validation or dev"
        raise ModelError(msg)
    if config.select_task is not None and config.select_task not in config.tasks:
        msg = f"--select-task {config.select_task!r}: use one of the trained tasks {config.tasks}"
        raise ModelError(msg)
    if config.teachers and (not 0 <= config.distill_weight <= 1 or config.distill_temperature <= 0):
        msg = "--distill-weight must lie in [0, 1] and --distill-temperature above 0"
        raise ModelError(msg)


def train(
    config: TrainConfig, progress: Callable[[int, int, str], None] | None = None
) -> TrainResult:
    """Fine-tune and write ``config.out_dir`` (encoder/, heads.npz, training.json, validation/)."""
    check_config(config)
    import torch
    from transformers import AutoTokenizer, get_linear_schedule_with_warmup

    torch.set_num_threads(config.threads)
    random.seed(config.seed)
    np.random.seed(config.seed)
    torch.manual_seed(config.seed)
    rng = random.Random(config.seed)

    tasks = [get_task(t) for t in config.tasks]
    base_path = resolve_base_model(config.base_model)
    train_sets, val_sets, report_rows = _training_sets(config, tasks)

    select_sets = (
        {name: held_out_halves(data)[0] for name, data in val_sets.items()}
        if config.select_on == "dev"
        else val_sets
    )
    device = _pick_device(config.device)
    teacher: dict[str, np.ndarray] = {}
    if config.teachers:
        teacher = combine_teachers(
            [
                soft_labels(
                    path,
                    train_sets,
                    val_sets,
                    news_data=config.news_data,
                    max_length=config.max_length,
                    device=device,
                    report_rows=report_rows,
                )
                for path in config.teachers
            ]
        )
    tokenizer = AutoTokenizer.from_pretrained(base_path)
    batcher = Batcher(tokenizer, config.max_length)
    model = build_model(base_path, tasks).to(device)
    weights = {}
    for name, data in train_sets.items():
        counts = np.bincount(data.labels, minlength=len(data.task.labels)).astype(float)
        w = (counts.sum() / (len(counts) * np.maximum(counts, 1))) ** config.class_weight_power
        weights[name] = torch.tensor(w / w.mean(), dtype=torch.float32, device=device)

    def epoch_plan() -> list[tuple[str, list[int]]]:
        plan: list[tuple[str, list[int]]] = []
        for name, data in train_sets.items():
            idx = list(range(len(data)))
            rng.shuffle(idx)
            plan += [
                (name, idx[i : i + config.batch_size])
                for i in range(0, len(idx), config.batch_size)
            ]
        rng.shuffle(plan)
        return plan

    steps_per_epoch = len(epoch_plan())
    total_steps = steps_per_epoch * config.epochs
    if config.max_steps is not None:
        total_steps = min(total_steps, config.max_steps)
    optimizer = torch.optim.AdamW(
        [
            {"params": model.encoder.parameters(), "lr": config.learning_rate},
            {"params": model.heads.parameters(), "lr": config.head_learning_rate},
        ],
        weight_decay=0.01,
    )
    scheduler = get_linear_schedule_with_warmup(optimizer, int(0.06 * total_steps), total_steps)

    best: tuple[float, int, dict[str, Any], dict[str, ClassificationReport]] | None = None
    step, bad_epochs = 0, 0
    for epoch in range(1, config.epochs + 1):
        model.train()
        for name, idx in epoch_plan():
            if step >= total_steps:
                break
            data = train_sets[name]
            texts = [data.texts[i] for i in idx]
            if config.augment and name == "news":
                texts = [augment_news(t, rng) for t in texts]
            labels = torch.tensor([data.labels[i] for i in idx], device=device)
            logits = model(name, **to_device(batcher(texts), device))
            loss = torch.nn.functional.cross_entropy(
                logits, labels, weight=weights[name], label_smoothing=config.label_smoothing
            )
            if name in teacher:
                soft = torch.from_numpy(teacher[name][idx]).to(device)
                alpha = config.distill_weight
                loss = (1 - alpha) * loss + alpha * distillation_loss(
                    logits, soft, config.distill_temperature
                )
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad()
            step += 1
            if progress:
                progress(step, total_steps, f"epoch {epoch} {name} loss {loss.item():.3f}")
        reports = _evaluate(model, batcher, select_sets)
        score = epoch_score(reports, config.select_task)
        log.info("epoch %d: %s", epoch, {n: round(r.macro_f1, 4) for n, r in reports.items()})
        if best is None or score > best[0]:
            state = {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}
            best, bad_epochs = (score, epoch, state, reports), 0
        else:
            bad_epochs += 1
            if bad_epochs > config.patience:
                log.info("early stop after epoch %d (best epoch %d)", epoch, best[1])
                break
        if step >= total_steps:
            break
    assert best is not None  # noqa: S101 - at least one epoch ran
    model.load_state_dict(best[2])
    model.cpu()
    _save(config, model, tokenizer, val_sets, best[3], best[1])
    return TrainResult(
        config.out_dir, best[3], best[1], {n: d.source_sha256 for n, d in train_sets.items()}
    )


def epoch_score(reports: dict[str, ClassificationReport], select_task: str | None) -> float:
    """What picks the best epoch: one task's validation macro-F1, or the mean over tasks."""
    if select_task is not None:
        return reports[select_task].macro_f1
    return float(np.mean([r.macro_f1 for r in reports.values()]))


def _save(
    config: TrainConfig,
    model: Any,
    tokenizer: Any,
    val_sets: dict[str, LabelledTexts],
    reports: dict[str, ClassificationReport],
    best_epoch: int,
) -> None:
    out = config.out_dir
    (out / "validation").mkdir(parents=True, exist_ok=True)
    model.encoder.save_pretrained(out / "encoder")
    tokenizer.save_pretrained(out / "encoder")
    heads = {}
    for name, head in model.heads.items():
        heads[f"{name}.weight"] = head.weight.detach().float().numpy()
        heads[f"{name}.bias"] = head.bias.detach().float().numpy()
    np.savez(out / "heads.npz", **heads)
    for name, data in val_sets.items():
        with (out / "validation" / f"{name}.jsonl").open("wb") as fh:
            for text, label in zip(data.texts, data.labels, strict=True):
                fh.write(orjson.dumps({"text": text, "label": data.task.labels[label]}) + b"\n")
    meta = {
        "config": {k: _jsonable(v) for k, v in asdict(config).items()},
        "base_model": config.base_model,
        "best_epoch": best_epoch,
        "selected_on": config.select_on,
        "data_sha256": {n: d.source_sha256 for n, d in val_sets.items()},
        "validation": {n: r.to_dict() for n, r in reports.items()},
        "tasks": {n: list(d.task.labels) for n, d in val_sets.items()},
    }
    if config.teachers:
        meta["teachers"] = [describe_teacher(t) for t in config.teachers]
    (out / "training.json").write_bytes(orjson.dumps(meta, option=orjson.OPT_INDENT_2))
