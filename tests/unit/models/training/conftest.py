"""The module-wide trained model the training, export and distillation tests share."""

from __future__ import annotations

from pathlib import Path

import pytest

from models.training.train import TrainConfig, train


@pytest.fixture(scope="session")
def trained(tmp_path_factory, news_csv) -> Path:
    out = tmp_path_factory.mktemp("train")
    result = train(
        TrainConfig(
            news_data=news_csv,
            out_dir=out,
            max_examples_per_task=64,
            transactions_count=240,
            epochs=1,
            max_steps=3,
            threads=2,
        )
    )
    assert set(result.reports) == {"news", "transactions"}
    return out


@pytest.fixture
def loose_gates() -> dict[str, float]:
    """Export gates a model of a few training steps passes (the gates are tested on their own)."""
    return dict(min_agreement=0.0, max_mean_prob_delta=1.0, max_metric_drop=1.0)
