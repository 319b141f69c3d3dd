"""Shared fixtures: paths to the shipped model and the TFNS data beside the repository."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TFNS = ROOT.parent / "shared" / "data" / "tfns" / "train.csv"


@pytest.fixture(scope="session")
def tfns_path() -> Path:
    if not TFNS.is_file():
        pytest.fail(f"TFNS training data not found at {TFNS}: check out shared/ beside the repo")
    return TFNS


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
