"""Is a news story new, or a syndicated copy of one already seen?

Each headline is normalised (wire prefixes like "UPDATE 2-", source suffixes like " - Reuters",
URLs, handles, cashtag signs and punctuation dropped, lower case) and cut into word shingles
(single words and pairs); a MinHash of them goes into a MinHash LSH index (PyPI
``datasketch``). A story whose headline is estimated at least ``threshold`` similar to one
seen within ``horizon_s`` of event time before it, and about the same company (they share a
``ticker:``/``company:`` subject, or neither names one), is a *repeat* of the earliest such
story (``duplicate_of``); otherwise it is *first*. The company check keeps templated
headlines apart ("Equinor misses on revenue" does not repeat "ArcelorMittal misses on
revenue"); the company keys are also shingles, so such stories rarely even meet in the index.

The index is the worker's state for novelty: a record seen again (redelivery after a crash,
a replay) gets the verdict it got the first time, so a story is never "new" twice; stories
older than the horizon, or beyond ``max_stories``, are forgotten oldest first. ``seed``
rebuilds it from scored events (the scored topic's recent past, at worker start). The
re-scoring backtest runs the same index over the same records in the same order, so it gives
the same novelty as the worker.
"""

from __future__ import annotations

import itertools
import re
import threading
import zlib
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

import numpy as np
from datasketch import MinHash, MinHashLSH

from stream.entities.matcher import ACRONYMS
from stream.entities.universe import english_words
from stream.records import ScoredEvent

__all__ = ["NoveltyIndex", "Verdict", "companies_of", "normalise", "proper_nouns", "shingles"]

NUM_PERM = 64
_SEED = 7
_PREFIX = re.compile(
    r"^(?:(?:update|corrected|refile|breaking|exclusive|urgent|wrapup|analysis|insight|"
    r"rpt|flash)(?:\s*\d+)?\s*[-:–—]\s*)+",
    re.IGNORECASE,
)
_SOURCE = re.compile(
    r"\s+[-–—|]\s+(?:reuters|bloomberg|cnbc|marketwatch|dow jones|ap|afp|wsj|ft|barron's|"
    r"seeking alpha|benzinga|yahoo finance|business wire|pr newswire|globenewswire|"
    r"[\w.]+\.com)\s*$",
    re.IGNORECASE,
)
_NOISE = re.compile(r"https?://\S+|@\w+|[$#]")
_NON_WORD = re.compile(r"[^\w%]+")


def normalise(headline: str) -> str:
    text = _NOISE.sub(" ", headline)
    text = _PREFIX.sub("", text.strip())
    text = _SOURCE.sub("", text)
    return " ".join(_NON_WORD.sub(" ", text.lower()).split())


def shingles(headline: str, companies: Iterable[str] = ()) -> list[bytes]:
    words = normalise(headline).split()
    grams = words + [f"{a} {b}" for a, b in itertools.pairwise(words)]
    grams += [f"\x00{key}\x00{i}" for key in sorted(companies) for i in range(2)]
    return [g.encode() for g in dict.fromkeys(grams)]


_NOT_NAMES = ACRONYMS | frozenset(["GMT", "EST", "UTC", "PDF", "EDT", "BST", "CET"])
_CAPITALISED = re.compile(r"\b[A-Z][A-Za-z0-9&'.\-]{2,}")


def companies_of(event: ScoredEvent) -> frozenset[str]:
    """What a story must share with another to repeat it: its company subjects, or where it
    names none, its first capitalised word that is neither English nor an acronym ("Eltek
    reports Q3 results" and "Advantego reports Q3 results" are two stories)."""
    keys = frozenset(k for k in event.keys if k.startswith(("ticker:", "company:")))
    return keys or proper_nouns(str(event.extra.get("headline", "")))


def proper_nouns(headline: str) -> frozenset[str]:
    english = english_words()
    for word in _CAPITALISED.findall(_NOISE.sub(" ", headline)):
        if word.lower().strip(".'-") not in english and word.upper() not in _NOT_NAMES:
            return frozenset({f"name:{word.lower()}"})
    return frozenset()


@dataclass(frozen=True, slots=True)
class Verdict:
    novel: bool
    duplicate_of: str | None = None


@dataclass(slots=True)
class _Story:
    ts: float
    minhash: MinHash
    verdict: Verdict
    companies: frozenset[str]


class NoveltyIndex:
    """Near-duplicate stories within a horizon; thread-safe (one lock per batch)."""

    def __init__(
        self, horizon_s: float = 86_400.0, threshold: float = 0.5, max_stories: int = 200_000
    ) -> None:
        self.horizon_s = horizon_s
        self.threshold = threshold
        self.max_stories = max_stories
        # datasketch picks the bands (b rows of r) that minimise false positives and negatives
        # at the threshold; the band buckets are plain dicts (its storage layer costs ~100 µs
        # a story in byte swaps and generic storage calls).
        params = MinHashLSH(threshold=threshold, num_perm=NUM_PERM)
        self._bands = [(i * params.r, (i + 1) * params.r) for i in range(params.b)]
        self._buckets: list[dict[bytes, list[str]]] = [{} for _ in self._bands]
        self._stories: OrderedDict[str, _Story] = OrderedDict()  # in insertion order
        self._newest = float("-inf")
        self._lock = threading.Lock()
        self._template = MinHash(num_perm=NUM_PERM, seed=_SEED, hashfunc=zlib.crc32)

    def __len__(self) -> int:
        return len(self._stories)

    def _minhash(self, headline: str, companies: frozenset[str]) -> MinHash:
        m = self._template.copy()
        grams = shingles(headline, companies)
        if grams:
            m.update_batch(grams)
        return m

    def _band_keys(self, minhash: MinHash) -> list[bytes]:
        raw = minhash.hashvalues.astype(np.uint32).tobytes()
        return [raw[4 * start : 4 * end] for start, end in self._bands]

    def _candidates(self, minhash: MinHash) -> set[str]:
        found: set[str] = set()
        for bucket, key in zip(self._buckets, self._band_keys(minhash), strict=True):
            found.update(bucket.get(key, ()))
        return found

    def judge(
        self, story_id: str, headline: str, ts: float, companies: frozenset[str] | None = None
    ) -> Verdict:
        """The verdict for one story (and remember it); ``companies`` defaults to the
        headline's proper nouns (see ``companies_of``)."""
        if companies is None:
            companies = proper_nouns(headline)
        with self._lock:
            return self._judge(story_id, headline, ts, companies)

    def _judge(self, story_id: str, headline: str, ts: float, companies: frozenset[str]) -> Verdict:
        known = self._stories.get(story_id)
        if known is not None:
            return known.verdict
        minhash = self._minhash(headline, companies)
        verdict = Verdict(True)
        if not np.all(minhash.hashvalues == self._template.hashvalues):  # has words
            earliest: tuple[float, str] | None = None
            for other_id in self._candidates(minhash):
                other = self._stories[other_id]
                if abs(ts - other.ts) > self.horizon_s:
                    continue
                if (companies or other.companies) and not companies & other.companies:
                    continue
                if minhash.jaccard(other.minhash) < self.threshold:
                    continue
                origin = other.verdict.duplicate_of or other_id
                origin_ts = self._stories[origin].ts if origin in self._stories else other.ts
                if earliest is None or (origin_ts, origin) < earliest:
                    earliest = (origin_ts, origin)
            if earliest is not None:
                verdict = Verdict(False, earliest[1])
        self._remember(story_id, minhash, ts, verdict, companies)
        return verdict

    def _remember(
        self,
        story_id: str,
        minhash: MinHash,
        ts: float,
        verdict: Verdict,
        companies: frozenset[str],
    ) -> None:
        self._stories[story_id] = _Story(ts, minhash, verdict, companies)
        for bucket, key in zip(self._buckets, self._band_keys(minhash), strict=True):
            bucket.setdefault(key, []).append(story_id)
        self._newest = max(self._newest, ts)
        horizon = self._newest - self.horizon_s
        while self._stories:
            oldest_id, oldest = next(iter(self._stories.items()))
            if oldest.ts >= horizon and len(self._stories) <= self.max_stories:
                break
            del self._stories[oldest_id]
            for bucket, key in zip(self._buckets, self._band_keys(oldest.minhash), strict=True):
                ids = bucket[key]
                ids.remove(oldest_id)  # the oldest is at the front
                if not ids:
                    del bucket[key]

    def mark(self, events: Sequence[ScoredEvent]) -> list[ScoredEvent]:
        """News events with their novelty set, in order (other kinds pass through)."""
        with self._lock:
            out = []
            for event in events:
                if event.kind != "news":
                    out.append(event)
                    continue
                verdict = self._judge(
                    event.id,
                    str(event.extra.get("headline", "")),
                    event.ts.timestamp(),
                    companies_of(event),
                )
                out.append(replace(event, novel=verdict.novel, duplicate_of=verdict.duplicate_of))
            return out

    def seed(self, events: Iterable[ScoredEvent]) -> int:
        """Remember news events judged before (read back from the scored topic at start),
        with the verdicts they carry; returns how many were new to the index."""
        added = 0
        with self._lock:
            for event in events:
                if event.kind != "news" or event.id in self._stories:
                    continue
                companies = companies_of(event)
                minhash = self._minhash(str(event.extra.get("headline", "")), companies)
                verdict = Verdict(event.novel, None if event.novel else event.duplicate_of)
                self._remember(event.id, minhash, event.ts.timestamp(), verdict, companies)
                added += 1
        return added
