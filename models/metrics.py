"""Classification metrics (numpy only, so eval runs without the training extra)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["ClassificationReport", "classification_report", "report_markdown"]


@dataclass(frozen=True, slots=True)
class ClassificationReport:
    labels: tuple[str, ...]
    precision: tuple[float, ...]
    recall: tuple[float, ...]
    f1: tuple[float, ...]
    support: tuple[int, ...]
    accuracy: float
    macro_f1: float
    confusion: tuple[tuple[int, ...], ...]  # rows: true label, columns: predicted

    def to_dict(self) -> dict[str, object]:
        return {
            "accuracy": round(self.accuracy, 4),
            "macro_f1": round(self.macro_f1, 4),
            "per_class": {
                name: {
                    "precision": round(p, 4),
                    "recall": round(r, 4),
                    "f1": round(f, 4),
                    "support": s,
                }
                for name, p, r, f, s in zip(
                    self.labels, self.precision, self.recall, self.f1, self.support, strict=True
                )
            },
            "confusion_matrix": {
                "labels": list(self.labels),
                "rows_true_cols_pred": [list(r) for r in self.confusion],
            },
        }


def report_markdown(report: dict[str, Any]) -> str:
    """Markdown table of a report dict (``ClassificationReport.to_dict()``)."""
    rows = ["| class | precision | recall | F1 | support |", "|---|---|---|---|---|"]
    for name, c in report["per_class"].items():
        rows.append(
            f"| {name} | {c['precision']:.3f} | {c['recall']:.3f} | {c['f1']:.3f} | "
            f"{c['support']} |"
        )
    cm = report["confusion_matrix"]
    rows += [
        "",
        f"accuracy **{report['accuracy']:.4f}**, macro-F1 **{report['macro_f1']:.4f}**",
        "",
        "| true \\ predicted | " + " | ".join(cm["labels"]) + " |",
        "|---" * (len(cm["labels"]) + 1) + "|",
    ]
    rows += [
        f"| {name} | " + " | ".join(map(str, r)) + " |"
        for name, r in zip(cm["labels"], cm["rows_true_cols_pred"], strict=True)
    ]
    return "\n".join(rows)


def classification_report(
    y_true: Sequence[int], y_pred: Sequence[int], labels: Sequence[str]
) -> ClassificationReport:
    k = len(labels)
    cm = np.zeros((k, k), dtype=np.int64)
    np.add.at(cm, (np.asarray(y_true, dtype=np.int64), np.asarray(y_pred, dtype=np.int64)), 1)
    tp = np.diag(cm).astype(float)
    predicted, actual = cm.sum(axis=0), cm.sum(axis=1)
    precision = np.divide(tp, predicted, out=np.zeros(k), where=predicted > 0)
    recall = np.divide(tp, actual, out=np.zeros(k), where=actual > 0)
    denom = precision + recall
    f1 = np.divide(2 * precision * recall, denom, out=np.zeros(k), where=denom > 0)
    total = cm.sum()
    return ClassificationReport(
        labels=tuple(labels),
        precision=tuple(float(v) for v in precision),
        recall=tuple(float(v) for v in recall),
        f1=tuple(float(v) for v in f1),
        support=tuple(int(v) for v in actual),
        accuracy=float(tp.sum() / total) if total else 0.0,
        macro_f1=float(f1.mean()),
        confusion=tuple(tuple(int(v) for v in row) for row in cm),
    )
