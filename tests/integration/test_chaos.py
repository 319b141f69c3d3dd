"""Reliability under bad input: a fuzzed flood, and valid records that used to stall a partition.

Every input offset ends up scored or dead-lettered (none missing), and no input digit run of
six or more digits (account and card numbers) survives into any output topic.
"""

from __future__ import annotations

import random
import re
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest

from stream.kafka.produce import produce
from stream.kafka.tail import read_topic

from .helpers import metric

pytestmark = [pytest.mark.kafka, pytest.mark.slow, pytest.mark.chaos]

RUN = re.compile(rb"\d{6,}")
HASH = re.compile(rb"acct_[0-9a-f]{20}")
NOW = datetime.now(UTC).replace(microsecond=0)


def _digits(rng: random.Random) -> str:
    return "".join(rng.choice("0123456789") for _ in range(rng.randrange(6, 17)))


def _nasty(rng: random.Random) -> Any:
    roll = rng.randrange(8)
    if roll == 0:
        return int(_digits(rng))
    if roll == 1:
        return float(_digits(rng)[:15]) + 0.5
    if roll == 2:
        return [f"DE{_digits(rng)}"]
    if roll == 3:
        return {"iban": f"GB{_digits(rng)}", "note": [int(_digits(rng))]}
    if roll == 4:
        return None
    if roll == 5:
        return f"card {_digits(rng)}"
    return rng.choice(["", "ok", 7, True])


def fuzzed(n: int, seed: int) -> tuple[list[bytes], list[bytes]]:
    """(news payloads, transaction payloads): valid records, wrong types, broken JSON, BOMs,
    huge numbers, nulls, deep nesting — with account-like digit runs hidden everywhere."""
    rng = random.Random(seed)
    news, txs = [], []
    for i in range(n):
        ts = (NOW - timedelta(seconds=rng.randrange(3600))).isoformat()
        if i % 2 == 0:
            record: dict[str, Any] = {
                "id": f"fz{i}",
                "published_at": ts,
                "source": "wire",
                "headline": rng.choice(["Shares rise", "Bank warns", "Board meets"]),
            }
            if rng.random() < 0.5:
                record[rng.choice(["headline", "published_at", "tickers", "body", "source"])] = (
                    _nasty(rng)
                )
            payload = orjson.dumps(record)
        else:
            record = {
                "id": f"fz{i}",
                "ts": ts,
                "account": f"DE{_digits(rng)}",
                "counterparty": "Shop",
                "amount": "12.50",
                "currency": "EUR",
                "country": "DE",
                "channel": "card_present",
                "memo": f"ref {_digits(rng)}",
            }
            if rng.random() < 0.6:
                record[rng.choice(["account", "memo", "amount", "ts", "country"])] = _nasty(rng)
            payload = orjson.dumps(record)
        roll = rng.random()
        if roll < 0.05:
            payload = payload[: rng.randrange(1, len(payload))]  # cut
        elif roll < 0.08:
            payload = b"\xef\xbb\xbf" + payload
        elif roll < 0.10:
            payload = payload.replace(b'"12.50"', b"9" * 400)
        elif roll < 0.12:
            payload = b""  # a null value
        (news if i % 2 == 0 else txs).append(payload)
    return news, txs


def _all_runs(payload: bytes) -> set[bytes]:
    return set(RUN.findall(payload))


def _personal_runs(payload: bytes) -> set[bytes]:
    """The digit runs in a transaction's account and memo fields (any type), if it parses."""
    try:
        record = orjson.loads(payload.removeprefix(b"\xef\xbb\xbf"))
    except orjson.JSONDecodeError:
        return set(RUN.findall(payload))  # cut or odd: all of it may be personal
    if not isinstance(record, dict):
        return set()
    fields = [record.get("account"), record.get("memo")]
    return {run for value in fields for run in RUN.findall(orjson.dumps(value))}


def _sources(records: list[Any]) -> set[str]:
    return {r["source"] for r in records if isinstance(r, dict)}


def test_a_fuzzed_flood_is_all_accounted_for_and_leaks_no_digits(cluster):
    _, port, _ = cluster.start_worker()
    news, txs = fuzzed(20_000, seed=3)
    t = cluster.kafka.topics
    produce(cluster.kafka, t.news, news, key=b"fuzz")  # one partition each: offsets 0..n-1
    produce(cluster.kafka, t.transactions, txs, key=b"fuzz")
    want = len(news) + len(txs)
    deadline = time.monotonic() + 400

    def accounted() -> bool:
        try:
            out = metric(port, "finsentry_records_scored_total")
            out += metric(port, "finsentry_dead_letters_published_total")
        except Exception:  # the worker is still starting
            return False
        return out >= want

    while time.monotonic() < deadline and not accounted():
        time.sleep(2)
    scored = read_topic(cluster.kafka, t.scored, timeout_s=120, idle_s=8)
    dead = read_topic(cluster.kafka, t.dead_letters, timeout_s=120, idle_s=8)
    seen = _sources(scored) | _sources(dead)
    partitions = {s.rsplit("@", 1)[0] for s in seen}
    assert len(partitions) == 2  # the two input partitions the fuzz went to
    expected = {f"{p}@{o}" for p in partitions for o in range(len(news))}
    assert expected <= seen, f"{len(expected - seen)} records neither scored nor dead-lettered"
    assert len(scored) > 1000 and len(dead) > 1000  # both paths really ran
    # each output against its own input record: a dead letter echoes none of the input's digit
    # runs; a scored record none of its personal fields' (account, memo, whatever their type)
    payload_of = {}
    for partition in partitions:
        records = news if partition.startswith(t.news) else txs
        payload_of.update({f"{partition}@{o}": payload for o, payload in enumerate(records)})
    checked = 0
    for topic, runs_of in ((t.dead_letters, _all_runs), (t.scored, _personal_runs)):
        for record in read_topic(cluster.kafka, topic, timeout_s=60, idle_s=5):
            forbidden = runs_of(payload_of[record["source"]])
            text = HASH.sub(b"acct_", orjson.dumps(record))  # a hash's hex may hold digits
            leaked = set(RUN.findall(text)) & forbidden
            assert not leaked, (topic, leaked, record)
            checked += bool(forbidden)
    assert checked > 1000  # many outputs had digits to hide


def test_valid_records_with_thousands_of_tickers_do_not_stall_their_partition(cluster):
    # Every subject counts, however weakly (by default a ticker among 20,000 is below the
    # minimum relevance): the big contributions messages are what this is about.
    cluster.extra_env["FINSENTRY_ENTITIES__MIN_RELEVANCE"] = "0"
    _, port, _ = cluster.start_worker()
    tickers = [f"T{i:05d}" for i in range(20_000)]
    big = [
        orjson.dumps(
            {
                "id": f"big{i}",
                "published_at": NOW.isoformat(),
                "source": "w",
                "headline": "Index rebalance names every listed company",
                "tickers": tickers,
                "body": "x" * 2000,
            }
        )
        for i in range(5)
    ]
    small = [
        orjson.dumps(
            {
                "id": f"after{i}",
                "published_at": NOW.isoformat(),
                "source": "w",
                "headline": "Apple beats estimates",
            }
        )
        for i in range(15)
    ]
    assert all(len(b) > 140_000 for b in big)
    produce(cluster.kafka, cluster.kafka.topics.news, big + small, key=b"one-partition")
    ids = {f"big{i}" for i in range(5)} | {f"after{i}" for i in range(15)}
    scored = read_topic(
        cluster.kafka,
        cluster.kafka.topics.scored,
        timeout_s=120,
        until=lambda rs: ids <= {r["id"] for r in rs},
    )
    assert ids <= {r["id"] for r in scored}  # the 15 behind the big ones were scored too
    big_scored = [r for r in scored if r["id"].startswith("big")]
    assert all(len(r["topics"]) == 64 for r in big_scored)  # VALIDATION__MAX_SUBJECTS
    dropped = metric(port, "finsentry_subjects_dropped_total", {"kind": "news"})
    assert dropped >= 5 * (20_000 - 64)
    assert len({r["id"] for r in big_scored}) == 5 and len(big_scored) <= 10  # no republish loop
