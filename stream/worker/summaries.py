"""Repeated log lines summarised: one line per interval with counts, never one per record.

``RejectSummary`` collects a kind's rejects by reason and logs one WARNING per interval
(``rejected 53 news records in the last 10 s: bad_json 50, missing_field 3; e.g. ...``).
``RepeatFilter`` is a logging filter for libraries that log every failed attempt (aiokafka
while the broker is away): the first line of a kind passes, the repeats within the interval
are counted and reported on the next line that passes.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable

__all__ = ["RejectSummary", "RepeatFilter"]


class RejectSummary:
    def __init__(
        self,
        kind: str,
        logger: logging.Logger,
        interval_s: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._kind = kind
        self._log = logger
        self._interval = interval_s
        self._clock = clock
        self._since = clock()
        self._reasons: Counter[str] = Counter()
        self._example = ""

    def add(self, reason: str, where: str, detail: str) -> None:
        self._reasons[reason] += 1
        if not self._example:
            self._example = f"{where}: {reason} ({detail[:160]})"

    def flush(self, force: bool = False) -> None:
        """Log the summary if the interval is over (or ``force``) and anything was rejected."""
        now = self._clock()
        if not self._reasons or (not force and now - self._since < self._interval):
            return
        total = sum(self._reasons.values())
        counts = ", ".join(f"{reason} {n}" for reason, n in self._reasons.most_common())
        self._log.warning(
            "rejected %d %s records in the last %.0f s: %s; e.g. %s (all in the dead-letter topic)",
            total,
            self._kind,
            now - self._since,
            counts,
            self._example,
        )
        self._reasons.clear()
        self._example = ""
        self._since = now


class RepeatFilter(logging.Filter):
    """Let a message template through once per ``interval_s``; count the rest."""

    def __init__(
        self, interval_s: float = 30.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        super().__init__()
        self._interval = interval_s
        self._clock = clock
        self._seen: dict[tuple[str, str], tuple[float, int]] = {}  # -> (passed at, suppressed)

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING:
            return True
        key = (record.name, str(record.msg))
        now = self._clock()
        passed, suppressed = self._seen.get(key, (-float("inf"), 0))
        if now - passed < self._interval:
            self._seen[key] = (passed, suppressed + 1)
            return False
        if suppressed:
            text = record.getMessage()
            record.msg = f"{text} (and {suppressed} more like it in the last {now - passed:.0f} s)"
            record.args = None
        self._seen[key] = (now, 0)
        return True
