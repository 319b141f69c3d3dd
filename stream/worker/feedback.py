"""The feedback side of the worker: analysts' corrections validated as they arrive.

A valid correction is counted (``finsentry_feedback_records_total{kind, outcome="accepted"}``)
and stays on the feedback topic, where ``finsentry feedback export`` joins it to the record it
corrects; an invalid one goes to the dead-letter topic with its reason (kind ``feedback``),
redacted like every dead letter, and is counted as rejected. Nothing here is retried: a
correction either parses or it does not.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import orjson

from exporters.metrics import Metrics
from stream.pipeline.batch import BatchContext
from stream.pipeline.feedback import parse_feedback
from stream.pipeline.kinds import KINDS
from stream.pipeline.parse import ParseContext, Rejected
from stream.pipeline.redact import mask_long_digits, redact_payload
from stream.records import DeadLetter
from stream.worker.inputs import Sender, raw_and_source
from stream.worker.summaries import RejectSummary

__all__ = ["FeedbackHandler"]

log = logging.getLogger(__name__)


class FeedbackHandler:
    def __init__(
        self, ctx: BatchContext, sender: Sender, dead_letters: str, metrics: Metrics
    ) -> None:
        self._ctx = ctx
        self._sender = sender
        self._dead_letters = dead_letters
        self._metrics = metrics
        self._rejects = RejectSummary("feedback", log)
        for kind in (*KINDS, "unknown"):  # zero from the start, for rate() and panels
            metrics.feedback.labels(kind, "accepted" if kind in KINDS else "rejected")

    async def handle(self, messages: Sequence[Any]) -> None:
        now = datetime.now(UTC)
        ctx = ParseContext(self._ctx.limits, now, self._ctx.account_key)
        pending = []
        for raw, ref in (raw_and_source(m) for m in messages):
            result = parse_feedback(raw, ctx)
            if not isinstance(result, Rejected):
                self._metrics.feedback.labels(result.kind, "accepted").inc()
                continue
            self._metrics.feedback.labels("unknown", "rejected").inc()
            self._metrics.rejected.labels("feedback", result.reason).inc()
            self._rejects.add(result.reason, str(ref), result.detail)
            dead = DeadLetter(
                result.reason,
                mask_long_digits(result.detail),
                ref,
                redact_payload(raw, self._ctx.account_key),
            )
            wire = orjson.dumps({"kind": "feedback", **dead.to_wire(now)})
            pending.append(await self._sender.send(self._dead_letters, str(ref).encode(), wire))
        self._rejects.flush()
        await asyncio.gather(*pending)
