"""Shared fixtures: the shipped model, an alert, and labelled news the project makes itself.

Nothing here reads outside the repository: the training-code tests train on the sample feed's
headlines, labelled with the class of the template each came from (a user's clone has no
sentiment corpus beside it).
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from stream.demo.sample import labelled_headlines

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def news_csv(tmp_path_factory) -> Path:
    """2,000 labelled headlines (text,label) generated from the sample feed's templates."""
    path = tmp_path_factory.mktemp("news") / "headlines.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["text", "label"])
        writer.writerows(labelled_headlines(2000, seed=11))
    return path


@pytest.fixture(scope="session")
def shipped_classifier():
    from models.serving.runtime import Classifier

    return Classifier.load(provider="cpu", threads=2)


@pytest.fixture
def alert_wire() -> dict:
    """An alert as the worker publishes it (see ``AlertEvent.to_wire``)."""
    return {
        "alert_id": "negative_surge:ticker:JPM:1:firing",
        "rule": "negative_surge",
        "topic": "ticker:JPM",
        "state": "firing",
        "severity": "critical",
        "at": "2026-11-23T09:00:00+00:00",
        "value": 6.2,
        "fire_threshold": 4.0,
        "clear_threshold": 1.0,
        "window": {"start": "a", "end": "b", "count": 12},
        "sample_ids": ["n1", "n2"],
    }


def derive_model_version(
    dst: Path,
    version: str,
    *,
    temperature: float | None = None,
    break_heads: bool = False,
    swap_news_classes: bool = False,
) -> Path:
    """A copy of the shipped model under another manifest version (hashes re-written): with
    another news temperature (it scores differently), with heads that load but cannot score,
    or with the news head's negative and positive rows swapped (a much worse model)."""
    import numpy as np

    from models.registry import derive_version
    from models.serving.manifest import Manifest, sha256_file
    from models.serving.runtime import shipped_model_dir

    derive_version(
        shipped_model_dir(), dst, version, {"news": temperature} if temperature else None
    )
    manifest = Manifest.load(dst)
    tasks = manifest.tasks
    files = {k: dict(v) for k, v in manifest.files.items()}
    if break_heads:  # right names, wrong width: loads, then every matmul fails
        heads = dst / manifest.heads
        np.savez(
            heads,
            **{f"{t}.{p}": np.zeros((3, 7), np.float32) for t in tasks for p in ("weight", "bias")},
        )
        files[manifest.heads]["sha256"] = sha256_file(heads)
    if swap_news_classes:
        heads = dst / manifest.heads
        with np.load(heads) as data:
            arrays = {k: data[k].copy() for k in data.files}
        for part in ("weight", "bias"):
            arrays[f"news.{part}"] = arrays[f"news.{part}"][[2, 1, 0]]
        np.savez(heads, **arrays)
        files[manifest.heads]["sha256"] = sha256_file(heads)
    from dataclasses import replace

    replace(manifest, files=files).write()
    return dst


@pytest.fixture
def model_versions(tmp_path):
    """``make(version, **how)``: a model directory derived from the shipped one."""

    def make(version: str, **how) -> Path:
        return derive_model_version(tmp_path / "exported" / version, version, **how)

    return make
