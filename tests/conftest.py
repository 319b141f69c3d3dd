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
    from models.runtime import Classifier

    return Classifier.load(provider="cpu", threads=2)
