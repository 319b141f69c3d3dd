"""``rescore --backtest DIR --plot``: one PNG per subject that alerted, the picture a person
tuning a rule wants — the score over time with the rule thresholds, the flagged records per
pane, and where each alert fired and resolved."""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from stream.pipeline.alerts import AlertRule
from stream.pipeline.kinds import KINDS, NEWS

__all__ = ["Chart", "plot_backtest", "read_table"]


@dataclass(frozen=True, slots=True)
class Chart:
    subject: str
    path: Path
    markers: tuple[tuple[str, str, str], ...]  # (rule, state, at) in the order drawn


def read_table(path: Path) -> list[dict[str, Any]]:
    """Rows of a backtest file: CSV, or a Parquet directory of parts."""
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        return pq.read_table(path).to_pylist() if path.exists() else []
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _float(value: Any) -> float | None:
    return None if value in (None, "") else float(value)


def _when(text: str) -> datetime:
    return datetime.fromisoformat(str(text))


def _file_name(subject: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", subject) + ".png"


def plot_backtest(directory: Path, fmt: str, rules: tuple[AlertRule, ...]) -> list[Chart]:
    """Write ``DIR/plots/<subject>.png`` for every subject with an alert transition."""
    import matplotlib

    matplotlib.use("Agg")  # files only, no display
    from matplotlib import pyplot as plt

    windows = read_table(directory / f"windows.{fmt}")
    alerts = read_table(directory / f"alerts.{fmt}")
    by_subject: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in windows:
        by_subject[str(row["topic"])].append(row)
    transitions: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for alert in alerts:
        transitions[str(alert["topic"])].append(alert)
    out_dir = directory / "plots"
    out_dir.mkdir(parents=True, exist_ok=True)
    charts = []
    for subject, fired in sorted(transitions.items()):
        rows = sorted(by_subject.get(subject, []), key=lambda r: str(r["pane_start"]))
        kind = KINDS.get(str(rows[0]["kind"]) if rows else "news", NEWS)
        figure = _draw(plt, subject, kind.name, rows, fired, rules)
        path = out_dir / _file_name(subject)
        figure.savefig(path, dpi=110)
        plt.close(figure)
        markers = tuple((str(a["rule"]), str(a["state"]), str(a["at"])) for a in fired)
        charts.append(Chart(subject, path, markers))
    return charts


def _draw(
    plt: Any,
    subject: str,
    kind: str,
    rows: list[dict[str, Any]],
    fired: list[dict[str, Any]],
    rules: tuple[AlertRule, ...],
) -> Any:
    spec = KINDS[kind]
    figure, (score_ax, count_ax) = plt.subplots(
        2, 1, figsize=(9, 5.2), sharex=True, height_ratios=(3, 2)
    )
    x = [_when(r["pane_start"]) for r in rows]
    score_ax.plot(x, [_float(r["hopping_mean_score"]) for r in rows], label="15-min mean score")
    score_ax.plot(
        x, [_float(r["mean_score"]) for r in rows], ".", ms=3, alpha=0.5, label="1-min pane mean"
    )
    for rule in rules:
        if rule.matches(subject, kind) and rule.metric == "mean_score":
            score_ax.axhline(rule.fire, color="tab:red", ls="--", lw=1, label=f"{rule.name} fires")
            score_ax.axhline(
                rule.clear, color="tab:green", ls=":", lw=1, label=f"{rule.name} clears"
            )
    score_ax.set_ylabel("mean score" if kind == "news" else "expected risk")
    flagged = spec.backtest_columns[spec.flagged]
    count_ax.bar(x, [_float(r[flagged]) or 0 for r in rows], width=1 / 1440 * 0.9, label=flagged)
    count_ax.set_ylabel(f"{flagged} per minute")
    low, high = (-1.05, 1.05) if kind == "news" else (-0.02, 1.02)
    score_ax.set_ylim(low, high + 0.35 * (high - low))  # room above the data for the markers
    for i, alert in enumerate(fired):
        when = _when(alert["at"])
        firing = alert["state"] == "firing"
        colour, mark = ("tab:red", "^") if firing else ("tab:green", "v")
        for ax in (score_ax, count_ax):
            ax.axvline(when, color=colour, alpha=0.35, lw=1)
        y = high + (0.08 + 0.09 * (i % 3)) * (high - low)  # staggered: close alerts stay legible
        score_ax.plot([when], [y], mark, color=colour, ms=8)
        score_ax.annotate(
            f"{alert['rule']} {alert['state']}",
            (when, y),
            textcoords="offset points",
            xytext=(6, -3),
            fontsize=7,
            color=colour,
        )
    score_ax.set_title(f"{subject} — backtest ({len(fired)} alert transitions)")
    score_ax.legend(loc="lower left", fontsize=7)
    count_ax.legend(loc="upper left", fontsize=7)
    from matplotlib.dates import DateFormatter

    count_ax.xaxis.set_major_formatter(DateFormatter("%H:%M"))
    count_ax.set_xlabel("event time (UTC)")
    figure.tight_layout()
    return figure
