"""Repeated lines summarised: one per interval with counts."""

from __future__ import annotations

import logging

from stream.worker.summaries import RejectSummary, RepeatFilter


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_rejects_are_logged_once_per_interval_with_counts_by_reason(caplog):
    clock = Clock()
    summary = RejectSummary("news", logging.getLogger("t.rejects"), 10.0, clock)
    with caplog.at_level(logging.WARNING, "t.rejects"):
        for i in range(500):
            summary.add("bad_json" if i % 5 else "missing_field", f"news[0]@{i}", "not JSON")
            summary.flush()
        assert caplog.records == []  # within the interval: nothing yet
        clock.now = 10.5
        summary.flush()
    (line,) = [r.getMessage() for r in caplog.records]
    assert "rejected 500 news records in the last 10 s: bad_json 400, missing_field 100" in line
    assert "e.g. news[0]@0: missing_field" in line
    summary.flush(force=True)  # nothing new: no line
    assert len(caplog.records) == 1


def test_a_library_repeating_itself_is_let_through_once_per_interval(caplog):
    clock = Clock()
    logger = logging.getLogger("t.lib")
    logger.addFilter(RepeatFilter(30.0, clock))
    with caplog.at_level(logging.INFO, "t.lib"):
        for _ in range(1000):
            logger.error("Unable connect to node with id %s", 1)
        clock.now = 31.0
        logger.error("Unable connect to node with id %s", 1)
        logger.info("connected")
    messages = [r.getMessage() for r in caplog.records]
    assert messages[0] == "Unable connect to node with id 1"
    assert messages[1] == "Unable connect to node with id 1 (and 999 more like it in the last 31 s)"
    assert messages[2] == "connected" and len(messages) == 3
