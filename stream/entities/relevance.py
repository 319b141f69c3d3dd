"""How much a news record is about each subject, in [0, 1].

A company's relevance is the product of four factors, each documented by a test:

- how it is named: the record's ``tickers`` field, a cashtag, an exchange-prefixed or
  parenthesised ticker 1.0; a bare ticker or a name 0.9; an outside-universe name 0.8;
- where: in the headline 1.0; only in the body 0.5;
- first mention: the first company named 1.0, the others 0.85;
- how many companies the record names: 1 / sqrt(n) (two: 0.71, five: 0.45), so a headline
  about five companies no longer counts fully for each.

A sector is as relevant as its most relevant company times 0.6; an event or macro subject 1.0
in the headline and 0.6 only in the body; a ``topics`` field entry 1.0.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from stream.entities.events import Tag
from stream.entities.matcher import How, Mention

__all__ = ["BODY_ONLY", "SECTOR_FACTOR", "company_relevance", "tag_relevance"]

_HOW: dict[How, float] = {
    "field": 1.0,
    "cashtag": 1.0,
    "exchange": 1.0,
    "paren": 1.0,
    "headed": 1.0,
    "ticker": 0.9,
    "name": 0.9,
    "suffix": 0.8,
}
BODY_ONLY = 0.5
LATER_MENTION = 0.85
SECTOR_FACTOR = 0.6
TAG_BODY_ONLY = 0.6


def company_relevance(headline: Sequence[Mention], body: Sequence[Mention]) -> dict[str, float]:
    """Subject key -> relevance for the companies of one record, in order of first mention
    (headline first)."""
    order: dict[str, tuple[Mention, bool]] = {}
    for mention in headline:
        order.setdefault(mention.key, (mention, True))
    for mention in body:
        order.setdefault(mention.key, (mention, False))
    crowd = 1.0 / math.sqrt(len(order)) if order else 1.0
    out = {}
    for rank, (key, (mention, in_headline)) in enumerate(order.items()):
        value = _HOW[mention.how] * (1.0 if in_headline else BODY_ONLY)
        value *= (1.0 if rank == 0 else LATER_MENTION) * crowd
        out[key] = round(min(1.0, value), 3)
    return out


def tag_relevance(headline: Sequence[Tag], body: Sequence[Tag]) -> dict[str, float]:
    """Subject key -> relevance for the events and macro subjects of one record."""
    out = {t.key: 1.0 for t in headline}
    for t in body:
        out.setdefault(t.key, TAG_BODY_ONLY)
    return out
