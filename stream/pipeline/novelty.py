"""Is a news story new, or a syndicated copy of one already seen?

Each headline is normalised (wire prefixes like "UPDATE 2-", source suffixes like " - Reuters",
URLs, handles, cashtag signs and punctuation dropped, lower case) and cut into word shingles
(single words and pairs, plus the story's company keys); its MinHash signature (datasketch's
permutations) is banded as datasketch's LSH chooses for the threshold, and only first stories
are indexed, so a story copied twenty times is one candidate. A story whose headline is
estimated at least ``threshold`` similar to an indexed one within ``horizon_s`` of event time,
and about the same company (a shared ``ticker:``/``company:`` subject; for stories naming
none, the same leading proper noun), is a *repeat* of the earliest such story
(``duplicate_of``); otherwise it is *first*. The company check keeps templated headlines apart
("Equinor misses on revenue" does not repeat "ArcelorMittal misses on revenue").

The index is the worker's state for novelty: a record seen again (redelivery after a crash,
a replay) gets the verdict it got the first time, so a story is never "new" twice; stories
older than the horizon, or beyond ``max_stories``, are forgotten oldest first. ``seed``
rebuilds it from scored events (the scored topic's recent past, at worker start). The worker
judges its batches in the order they arrived and the re-scoring backtest runs the same index
over the same records in the same order, so both give the same novelty.
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
_PRIME = np.uint64((1 << 61) - 1)  # datasketch's Mersenne prime and hash range
_MAX_HASH = np.uint64((1 << 32) - 1)
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
    signature: np.ndarray | None  # first stories only: repeats are not indexed
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
        # at the threshold, and the MinHash permutations; signatures are computed for a whole
        # batch at once and the band buckets are plain dicts (datasketch's MinHash objects and
        # storage layer cost ~150 µs a story, this ~40).
        params = MinHashLSH(threshold=threshold, num_perm=NUM_PERM)
        self._bands = [(i * params.r, (i + 1) * params.r) for i in range(params.b)]
        self._buckets: list[dict[bytes, list[str]]] = [{} for _ in self._bands]
        self._stories: OrderedDict[str, _Story] = OrderedDict()  # in insertion order
        self._newest = float("-inf")
        self._lock = threading.Lock()
        a, b = MinHash(num_perm=NUM_PERM, seed=_SEED).permutations
        self._a, self._b = a.astype(np.uint64), b.astype(np.uint64)

    def __len__(self) -> int:
        return len(self._stories)

    def signatures(self, stories: Sequence[tuple[str, frozenset[str]]]) -> list[np.ndarray | None]:
        """MinHash signatures of (headline, companies) pairs in one vectorised pass (None for
        a headline without words)."""
        grams = [shingles(headline, companies) for headline, companies in stories]
        flat = [zlib.crc32(g) for gs in grams for g in gs]
        if not flat:
            return [None] * len(stories)
        hashes = np.array(flat, dtype=np.uint64)[:, None]
        permuted = np.bitwise_and((hashes * self._a + self._b) % _PRIME, _MAX_HASH)
        starts = np.cumsum([0] + [len(gs) for gs in grams[:-1]])
        # 32-bit values (the hashes are masked to 32 bits); astype copies each row, so an
        # indexed story holds its own 256 bytes, not a view keeping its whole batch alive
        minima = np.minimum.reduceat(permuted, starts, axis=0)
        return [minima[i].astype(np.uint32) if gs else None for i, gs in enumerate(grams)]

    def _band_keys(self, signature: np.ndarray) -> list[bytes]:
        raw = signature.tobytes()
        return [raw[4 * start : 4 * end] for start, end in self._bands]

    def _candidates(self, keys: list[bytes]) -> set[str]:
        found: set[str] = set()
        for bucket, key in zip(self._buckets, keys, strict=True):
            ids = bucket.get(key)
            if ids:
                found.update(ids)
        return found

    def judge(
        self, story_id: str, headline: str, ts: float, companies: frozenset[str] | None = None
    ) -> Verdict:
        """The verdict for one story (and remember it); ``companies`` defaults to the
        headline's proper nouns (see ``companies_of``)."""
        if companies is None:
            companies = proper_nouns(headline)
        signature = self.signatures([(headline, companies)])[0]
        with self._lock:
            return self._judge(story_id, signature, ts, companies)

    def _judge(
        self, story_id: str, signature: np.ndarray | None, ts: float, companies: frozenset[str]
    ) -> Verdict:
        known = self._stories.get(story_id)
        if known is not None:
            return known.verdict
        verdict = Verdict(True)
        keys = self._band_keys(signature) if signature is not None else []
        if signature is not None:
            earliest: tuple[float, str] | None = None
            for other_id in self._candidates(keys):
                other = self._stories[other_id]
                if abs(ts - other.ts) > self.horizon_s or other.signature is None:
                    continue
                if (companies or other.companies) and not companies & other.companies:
                    continue
                similarity = np.count_nonzero(signature == other.signature) / NUM_PERM
                if similarity < self.threshold:
                    continue
                if earliest is None or (other.ts, other_id) < earliest:
                    earliest = (other.ts, other_id)
            if earliest is not None:
                verdict = Verdict(False, earliest[1])
        self._remember(story_id, signature, keys, ts, verdict, companies)
        return verdict

    def _remember(
        self,
        story_id: str,
        signature: np.ndarray | None,
        keys: list[bytes],
        ts: float,
        verdict: Verdict,
        companies: frozenset[str],
    ) -> None:
        # Only first stories go into the band buckets: a copy is found through its original,
        # so twenty copies of a story (or a template repeated all day) cost one candidate,
        # not twenty.
        indexed = signature if verdict.novel else None
        self._stories[story_id] = _Story(ts, indexed, verdict, companies)
        if indexed is not None:
            for bucket, key in zip(self._buckets, keys, strict=True):
                bucket.setdefault(key, []).append(story_id)
        self._newest = max(self._newest, ts)
        horizon = self._newest - self.horizon_s
        while self._stories:
            oldest_id, oldest = next(iter(self._stories.items()))
            if oldest.ts >= horizon and len(self._stories) <= self.max_stories:
                break
            del self._stories[oldest_id]
            if oldest.signature is None:
                continue
            for bucket, key in zip(self._buckets, self._band_keys(oldest.signature), strict=True):
                ids = bucket[key]
                ids.remove(oldest_id)  # the oldest is at the front
                if not ids:
                    del bucket[key]

    def _prepare(
        self, events: Iterable[ScoredEvent]
    ) -> tuple[list[ScoredEvent], list[frozenset[str]], list[np.ndarray | None]]:
        """The news among ``events``, their company keys and signatures (one pass)."""
        news = [e for e in events if e.kind == "news"]
        companies = [companies_of(e) for e in news]
        signatures = self.signatures(
            [(str(e.extra.get("headline", "")), c) for e, c in zip(news, companies, strict=True)]
        )
        return news, companies, signatures

    def mark(self, events: Sequence[ScoredEvent]) -> list[ScoredEvent]:
        """News events with their novelty set, in order (other kinds pass through)."""
        news, companies, signatures = self._prepare(events)
        verdicts: dict[int, Verdict] = {}
        with self._lock:
            for event, signature, c in zip(news, signatures, companies, strict=True):
                verdicts[id(event)] = self._judge(event.id, signature, event.ts.timestamp(), c)
        out = []
        for event in events:
            v = verdicts.get(id(event))
            out.append(
                event if v is None else replace(event, novel=v.novel, duplicate_of=v.duplicate_of)
            )
        return out

    def seed(self, events: Iterable[ScoredEvent]) -> int:
        """Remember news events judged before (read back from the scored topic at start),
        with the verdicts they carry; returns how many were new to the index."""
        news, companies, signatures = self._prepare(events)
        added = 0
        with self._lock:
            for event, signature, c in zip(news, signatures, companies, strict=True):
                if event.id in self._stories:
                    continue
                verdict = Verdict(event.novel, None if event.novel else event.duplicate_of)
                keys = self._band_keys(signature) if signature is not None else []
                self._remember(event.id, signature, keys, event.ts.timestamp(), verdict, c)
                added += 1
        return added
