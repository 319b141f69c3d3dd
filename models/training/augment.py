"""Training-time text augmentation for the news task.

``augment_news`` runs on the fly: tweets carry cashtags and handles that formal news lacks, so
training sometimes strips them. ``transfer_copies`` builds extra, edited copies of each
training text once, before training; with a teacher (models.training.distill) each copy gets the
teacher's own logits, which enlarges the set the student learns the teacher's judgement from
(the "transfer set" of Hinton et al., 2015; TinyBERT's augmentation, Jiao et al., 2020).
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence

from models.datasets import LabelledTexts

__all__ = ["augment_news", "transfer_copies", "with_transfer_copies"]

_CASHTAG = re.compile(r"\$([A-Za-z][A-Za-z.]{0,6})\b")
_HANDLE = re.compile(r"@\w+")
_URL = re.compile(r"https?://\S+")


def augment_news(text: str, rng: random.Random) -> str:
    """Sometimes strip cashtags ($AAPL -> AAPL), sometimes drop them and the handles."""
    roll = rng.random()
    if roll < 0.33:
        text = _CASHTAG.sub(r"\1", text)
    elif roll < 0.5:
        text = _HANDLE.sub("", _CASHTAG.sub("", text))
    return text


def _edit(text: str, rng: random.Random, drop: float) -> str:
    words = text.split()
    kept = [w for w in words if _URL.match(w) or rng.random() >= drop] or words[:1]
    if len(kept) > 2 and rng.random() < 0.3:
        i = rng.randrange(len(kept) - 1)
        kept[i], kept[i + 1] = kept[i + 1], kept[i]
    return augment_news(" ".join(kept), rng)


def transfer_copies(texts: Sequence[str], copies: int, seed: int, drop: float = 0.15) -> list[str]:
    """``copies`` edited versions of every text (words dropped, a pair swapped, tags stripped).

    Deterministic for a seed. The order is all first copies, then all second copies, and so on,
    so ``copy[k * len(texts) + i]`` comes from ``texts[i]``.
    """
    rng = random.Random(seed)  # noqa: S311 - augmentation, not security
    return [_edit(text, rng, drop) for _ in range(copies) for text in texts]


def with_transfer_copies(data: LabelledTexts, copies: int, seed: int) -> LabelledTexts:
    """``data`` followed by its :func:`transfer_copies`, each copy with its text's label."""
    extra = transfer_copies(data.texts, copies, seed)
    return LabelledTexts(
        data.texts + tuple(extra), data.labels * (1 + copies), data.task, data.source_sha256
    )
