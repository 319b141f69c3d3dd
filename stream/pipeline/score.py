"""Score a micro-batch: records -> model texts -> one ``score_batch`` call -> scored events.

Pure given a scorer: the worker calls it in a thread off the event loop, the re-scoring CLI
calls it directly. What differs per kind (the model's text, subjects, extra fields) comes from
the kind table. Records the model cannot score come back in ``failed`` for the dead-letter
topic instead of failing the batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from models.serving.runtime import Score
from stream.pipeline.kinds import RecordKind
from stream.pipeline.subjects import Entities
from stream.records import ScoredEvent, SourceRef

__all__ = ["BatchScorer", "ScoreOutcome", "model_texts", "score_records"]


class BatchScorer(Protocol):
    def score_batch(self, texts: Sequence[str]) -> list[Score]: ...


@dataclass(slots=True)
class ScoreOutcome:
    scored: list[ScoredEvent] = field(default_factory=list)
    failed: list[tuple[SourceRef, str]] = field(default_factory=list)
    subjects_dropped: int = 0  # beyond ``max_subjects`` per record
    tokens: int = 0  # word pieces of the scored texts (input drift signals)
    unknown_tokens: int = 0
    text_chars: int = 0


def model_texts(kind: RecordKind, items: Sequence[tuple[Any, SourceRef]]) -> list[str]:
    """The texts the model sees for parsed records of ``kind``."""
    return [kind.model_text(record) for record, _ in items]


def score_records(
    kind: RecordKind,
    items: Sequence[tuple[Any, SourceRef]],
    scorer: BatchScorer,
    entities: Entities,
    max_subjects: int | None = None,
) -> ScoreOutcome:
    """Score parsed records of ``kind`` (transactions carry hashed accounts and masked memos
    already, see ``parse_transaction``): the one scoring entry of the worker and rescore.
    A record counts for its ``max_subjects`` most relevant subjects; the rest are counted."""
    out = ScoreOutcome()
    if not items:
        return out
    texts = model_texts(kind, items)
    scores = scorer.score_batch(texts)
    for (record, ref), score, text in zip(items, scores, texts, strict=True):
        if score.label is None or score.score is None:
            out.failed.append((ref, score.error or "not scored"))
            continue
        out.tokens += score.tokens
        out.unknown_tokens += score.unknown_tokens
        out.text_chars += len(text)
        subjects = kind.subjects(record, entities)
        if max_subjects is not None and len(subjects) > max_subjects:
            out.subjects_dropped += len(subjects) - max_subjects
            subjects = subjects[:max_subjects]
        out.scored.append(
            ScoredEvent(
                id=record.id,
                kind=kind.name,
                ts=kind.event_time(record),
                subjects=subjects,
                label=score.label,
                probabilities=score.probabilities,
                score=score.score,
                model_version=score.model_version,
                source=ref,
                extra=kind.wire_extra(record),
            )
        )
    return out
