"""The one batch step the worker and ``finsentry rescore`` share.

Input side, per micro-batch of one kind: ``run_batch`` parses the raw payloads, scores what
parsed in one model call and returns the scored events, every dead letter (parse rejects and
records the model could not score) and the batch's window contributions with the source
offsets it covered. Window side, per subject key: ``WindowStep.apply`` applies a key's
contributions to its state and evaluates the alert rules. Both are pure given a scorer; the
worker runs the first in an inference thread and the second in its windows agent (with Kafka
between them), rescore runs both in one loop (``--backtest``).
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from stream.pipeline.alerts import AlertEvent, AlertRule, apply_and_evaluate, load_rules
from stream.pipeline.contributions import Contribution, contributions_of
from stream.pipeline.kinds import RecordKind
from stream.pipeline.novelty import NoveltyIndex
from stream.pipeline.offsets import Ranges, runs
from stream.pipeline.parse import ParseContext, dead_letter, parse_batch
from stream.pipeline.score import BatchScorer, model_texts, score_records
from stream.pipeline.subjects import Entities
from stream.pipeline.windows import ApplyResult, KeyState, WindowSpec
from stream.records import DeadLetter, ScoredEvent, SourceRef
from stream.settings import Settings, ValidationSettings

__all__ = [
    "BatchContext",
    "BatchResult",
    "WindowStep",
    "by_key",
    "covered_offsets",
    "judge_novelty",
    "run_batch",
]


@dataclass(frozen=True, slots=True)
class BatchContext:
    """What every input batch needs besides its records and scorer: built once per run.
    ``novelty`` is state: the one index of stories seen, shared by the run's batches."""

    limits: ValidationSettings
    account_key: bytes
    entities: Entities
    novelty: NoveltyIndex = field(default_factory=NoveltyIndex)

    @classmethod
    def from_settings(cls, settings: Settings) -> BatchContext:
        """Reads the universe and watchlist files (a ``ConfigError`` says what is wrong)."""
        e = settings.entities
        return cls(
            settings.validation,
            settings.pii.account_hash_key.get_secret_value().encode(),
            Entities.load(e.universe_file, settings.alerts.watchlist_file, e.min_relevance),
            NoveltyIndex(e.novelty_horizon_s, e.novelty_threshold, e.novelty_max_stories),
        )


@dataclass(slots=True)
class BatchResult:
    """One input batch after parse and score."""

    kind: RecordKind
    items: list[tuple[Any, SourceRef]]  # parsed records
    scored: list[ScoredEvent]
    dead_letters: list[DeadLetter]  # parse rejects, then the records the model failed on
    inference_s: float = 0.0  # wall time of the model call (0 when nothing parsed)
    sources: list[SourceRef] = field(default_factory=list)  # every record of the batch
    subjects_dropped: int = 0  # subjects beyond ``max_subjects`` per record
    tokens: int = 0  # word pieces of the scored texts, [UNK] among them, characters
    unknown_tokens: int = 0
    text_chars: int = 0

    def contributions(self) -> list[Contribution]:
        """The scored events' window contributions, one per (event, subject)."""
        return [c for event in self.scored for c in contributions_of(event)]

    def scored_texts(self) -> list[str]:
        """The model texts of the scored records, aligned with ``scored``."""
        refs = {event.source for event in self.scored}
        return model_texts(self.kind, [(r, ref) for r, ref in self.items if ref in refs])


def run_batch(
    kind: RecordKind,
    raws: Sequence[tuple[bytes, SourceRef]],
    scorer: BatchScorer,
    ctx: BatchContext,
    now: datetime,
    novelty: bool = True,
) -> BatchResult:
    """Parse, find subjects, score and judge novelty for one micro-batch of ``kind``.

    ``novelty=False`` leaves the last step to ``judge_novelty``: the worker scores batches
    side by side but must judge them in the order they arrived (a copy judged before its
    original would be "first")."""
    parse_ctx = ParseContext(ctx.limits, now, ctx.account_key)
    parsed = parse_batch(kind, raws, parse_ctx)
    result = BatchResult(kind, parsed.items, [], list(parsed.rejects), 0.0, [r for _, r in raws])
    if not parsed.items:
        return result
    started = time.perf_counter()
    outcome = score_records(kind, parsed.items, scorer, ctx.entities, ctx.limits.max_subjects)
    result.inference_s = time.perf_counter() - started
    result.scored = outcome.scored
    if novelty:
        judge_novelty(result, ctx)
    result.subjects_dropped = outcome.subjects_dropped
    result.tokens, result.unknown_tokens = outcome.tokens, outcome.unknown_tokens
    result.text_chars = outcome.text_chars
    result.dead_letters += [
        dead_letter(kind, "unscorable", why, ref, parsed.raws[ref], parse_ctx)
        for ref, why in outcome.failed
    ]
    return result


def judge_novelty(result: BatchResult, ctx: BatchContext) -> BatchResult:
    """Mark the batch's scored events first or repeat (in place; kinds without novelty pass)."""
    if result.kind.novelty and result.scored:
        result.scored = ctx.novelty.mark(result.scored)
    return result


def covered_offsets(sources: Iterable[SourceRef]) -> dict[str, Ranges]:
    """The source offsets of a batch as ranges per ``topic[partition]``: every windows
    partition hears of them, so a key remembers the offsets it saw none of (``offsets``)."""
    found: dict[str, list[int]] = defaultdict(list)
    for ref in sources:
        found[f"{ref.topic}[{ref.partition}]"].append(ref.offset)
    return {source: runs(offsets) for source, offsets in found.items()}


def by_key(contributions: Iterable[Contribution]) -> dict[str, list[Contribution]]:
    """Contributions grouped per subject key, each key's in input order."""
    grouped: dict[str, list[Contribution]] = defaultdict(list)
    for c in contributions:
        grouped[c.key].append(c)
    return grouped


@dataclass(frozen=True, slots=True)
class WindowStep:
    """Windows and alert rules for one subject key at a time."""

    spec: WindowSpec
    rules: tuple[AlertRule, ...]

    @classmethod
    def from_settings(cls, settings: Settings) -> WindowStep:
        """Reads the rules file (a ``ConfigError`` says what is wrong with it)."""
        w = settings.windows
        return cls(
            WindowSpec(w.tumbling_s, w.hopping_s, w.retention_s, settings.alerts.sample_ids),
            load_rules(settings.alerts.rules_file),
        )

    def apply(
        self,
        key: str,
        state: KeyState,
        contributions: Sequence[Contribution],
        covered: dict[str, Ranges] | None = None,
    ) -> tuple[ApplyResult, list[AlertEvent]]:
        return apply_and_evaluate(key, state, contributions, self.rules, self.spec, covered)
