"""Kafka range bounds (the range itself is read in tests/integration/test_rescore_kafka.py)."""

from __future__ import annotations

import pytest

from stream.errors import InputError
from stream.rescore.kafka_range import parse_bound


def test_bounds():
    assert parse_bound("earliest").kind == "earliest"
    assert parse_bound("1200").offset == 1200
    assert parse_bound("0:10, 3:50").offsets == ((0, 10), (3, 50))
    assert parse_bound("2026-11-20T09:00Z").time_ms == 1_795_165_200_000
    with pytest.raises(InputError, match="ISO time"):
        parse_bound("yesterday")
