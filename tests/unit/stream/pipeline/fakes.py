"""A deterministic stand-in scorer for the pipeline tests (the real model has its own tests)."""

from __future__ import annotations

from collections.abc import Sequence

from models.serving.runtime import Score

__all__ = ["KeywordScorer"]


class KeywordScorer:
    """``negative`` for texts with "plunge", ``positive`` for "beats", else ``neutral``;
    texts containing "UNSCORABLE" come back with an error, as the runtime does."""

    model_version = "fake@1/int8"

    def __init__(self, labels: Sequence[str] = ("negative", "neutral", "positive")) -> None:
        self.labels = tuple(labels)
        self.calls: list[list[str]] = []

    def score_batch(self, texts: Sequence[str]) -> list[Score]:
        self.calls.append(list(texts))
        out = []
        for text in texts:
            if "UNSCORABLE" in text:
                out.append(Score(None, {}, None, self.model_version, "inference failed"))
                continue
            index = 0 if "plunge" in text else 2 if "beats" in text else 1
            probs = {name: 0.8 if i == index else 0.1 for i, name in enumerate(self.labels)}
            out.append(Score(self.labels[index], probs, float(index - 1), self.model_version))
        return out
