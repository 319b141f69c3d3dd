"""Redaction whatever the JSON types: no digit run of six or more survives, accounts hashed."""

from __future__ import annotations

import random
import re
from datetime import UTC, datetime
from typing import Any

import orjson

from stream.pipeline.batch import BatchContext, run_batch
from stream.pipeline.kinds import KINDS
from stream.pipeline.redact import hash_account, redact_payload
from stream.pipeline.subjects import Entities
from stream.records import SourceRef
from stream.settings import ValidationSettings

from .fakes import KeywordScorer

KEY = b"k"
RUN = re.compile(r"\d{6,}")


def _digits(rng: random.Random) -> str:
    return "".join(rng.choice("0123456789") for _ in range(rng.randrange(6, 20)))


def _value(rng: random.Random, depth: int = 0) -> Any:
    """A JSON value of any type and nesting that hides digit runs wherever it can."""
    roll = rng.randrange(9 if depth < 4 else 5)
    if roll == 0:
        return int(_digits(rng))
    if roll == 1:
        return float(_digits(rng)[:15]) + 0.5
    if roll == 2:
        return f"card {_digits(rng)} ref"
    if roll == 3:
        return rng.choice([None, True, "ok", 12, 3.5])
    if roll == 4:
        return f"{_digits(rng)}"
    if roll in (5, 6):
        return [_value(rng, depth + 1) for _ in range(rng.randrange(1, 4))]
    keys = ["account", "iban", "memo", _digits(rng), "Card-Number", "x"]
    return {rng.choice(keys): _value(rng, depth + 1) for _ in range(rng.randrange(1, 4))}


def _runs(value: Any) -> set[str]:
    return set(RUN.findall(orjson.dumps(value).decode()))


def test_fuzzed_types_and_nesting_leave_no_input_digit_run_in_any_dead_letter():
    rng = random.Random(17)
    ctx = BatchContext(ValidationSettings(), KEY, Entities.of({}, {}))
    now = datetime(2026, 11, 23, tzinfo=UTC)
    checked = 0
    for i in range(3000):
        record = {"id": i, "account": _value(rng), "memo": _value(rng), "nested": _value(rng)}
        for kind in KINDS.values():
            payload = orjson.dumps(record)
            result = run_batch(kind, [(payload, SourceRef("t", 0, i))], KeywordScorer(), ctx, now)
            (dead,) = result.dead_letters  # none of these is a valid record
            echoed = orjson.dumps(dead.to_wire(now)).decode()
            for run in _runs(record):
                assert run not in echoed, (run, echoed)
            checked += 1
    assert checked == 6000


def test_account_fields_are_hashed_whatever_their_type_and_text_payloads_masked():
    for account in ("DE35304826237034", ["DE35304826237034"], {"iban": "DE35"}, 35304826237034.0):
        echoed = orjson.loads(redact_payload(orjson.dumps({"account": account}), KEY))
        assert echoed["account"].startswith("acct_")
    same = orjson.loads(redact_payload(b'{"account": "DE35304826237034"}', KEY))
    assert same["account"] == hash_account("DE35304826237034", KEY)  # joins the scored records
    assert redact_payload(b'{"memo": "card 4111111111111111", broken', KEY).count(b"#") == 16
    kept = orjson.loads(redact_payload(b'{"ts": "2026-11-23T10:00:00Z", "amount": 12.5}', KEY))
    assert kept == {"ts": "2026-11-23T10:00:00Z", "amount": 12.5}
