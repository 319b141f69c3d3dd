"""Text clean-up shared by training and serving: what the model sees is built here only."""

from __future__ import annotations

import re
import unicodedata

__all__ = ["MAX_CHARS", "clean_text", "mask_digits"]

# Longer inputs are cut before tokenization: the model reads at most max_length tokens anyway,
# and tokenizing a 100k-character article only to drop most of it wastes milliseconds per record.
MAX_CHARS = 4000

_URL = re.compile(r"https?://\S+|www\.\S+")
_SPACE = re.compile(r"\s+")
_DIGIT_RUN = re.compile(r"\d{4,}")


def clean_text(text: str | bytes) -> str:
    """Normalise one input: decode bytes leniently, drop URLs and control characters.

    Invalid UTF-8 becomes U+FFFD instead of an exception; emoji are kept (the tokenizer maps
    them to [UNK] or word pieces). Returns "" for inputs with nothing left to score.
    """
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    text = text[: MAX_CHARS * 2]
    text = unicodedata.normalize("NFKC", text)
    text = "".join(ch if unicodedata.category(ch)[0] != "C" else " " for ch in text)
    text = _URL.sub(" ", text)
    return _SPACE.sub(" ", text).strip()[:MAX_CHARS]


def mask_digits(text: str) -> str:
    """Mask runs of 4+ digits (account, card, phone numbers) with '#'."""
    return _DIGIT_RUN.sub(lambda m: "#" * len(m.group()), text)
