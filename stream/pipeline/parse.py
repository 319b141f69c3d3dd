"""Parse and validate raw Kafka payloads into records, or say why not (``Rejected``).

Nothing here raises on bad input: every problem becomes a ``Rejected`` with a bounded
``reason`` (used as a metric label) and a human ``detail``. Accounts are replaced by a keyed
hash here, so the raw number never travels further than this function.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

import orjson

from models.text import mask_digits
from stream.records import DeadLetter, NewsItem, SourceRef, Transaction
from stream.settings import ValidationSettings

if TYPE_CHECKING:
    from stream.pipeline.kinds import RecordKind

__all__ = [
    "REASONS",
    "ParseContext",
    "ParsedBatch",
    "Rejected",
    "echo_payload",
    "hash_account",
    "parse_batch",
    "parse_news",
    "parse_transaction",
    "redact_transaction_payload",
]

REASONS = (
    "oversize",
    "bad_json",
    "not_object",
    "missing_field",
    "bad_type",
    "bad_timestamp",
    "future_timestamp",
    "bad_amount",
    "bad_code",
    "empty_text",
)
_CURRENCY = re.compile(r"^[A-Z]{3}$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")
_LONG_DIGITS = re.compile(r"\d{8,}")


@dataclass(frozen=True, slots=True)
class ParseContext:
    """What parsing one batch needs: the limits, the time it runs at, the account hash key."""

    limits: ValidationSettings
    now: datetime
    account_key: bytes


@dataclass(frozen=True, slots=True)
class Rejected:
    reason: str
    detail: str


class _Invalid(Exception):
    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


def hash_account(account: str, key: bytes) -> str:
    """Keyed, stable pseudonym for an account: same account, same id; no way back."""
    digest = hmac.new(key, account.strip().encode(), hashlib.sha256).hexdigest()
    return f"acct_{digest[:20]}"


def _load(payload: bytes, limits: ValidationSettings) -> dict[str, Any]:
    if len(payload) > limits.max_record_bytes:
        raise _Invalid("oversize", f"{len(payload)} bytes > {limits.max_record_bytes}")
    try:
        data = orjson.loads(payload)
    except orjson.JSONDecodeError as exc:
        raise _Invalid("bad_json", f"not JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise _Invalid("not_object", f"expected a JSON object, got {type(data).__name__}")
    return data


def _str(data: dict[str, Any], name: str, *, required: bool = True) -> str | None:
    value = data.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise _Invalid("missing_field", f"field {name!r} is missing or empty")
        return None
    if isinstance(value, int | float) and not isinstance(value, bool) and name == "id":
        return str(value)
    if not isinstance(value, str):
        raise _Invalid("bad_type", f"field {name!r} must be a string, got {type(value).__name__}")
    return value.strip()


def _str_list(data: dict[str, Any], name: str) -> tuple[str, ...]:
    value = data.get(name)
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _Invalid("bad_type", f"field {name!r} must be a list of strings")
    return tuple(v.strip() for v in value if v.strip())


def _timestamp(data: dict[str, Any], name: str, now: datetime, skew_s: float) -> datetime:
    value = data.get(name)
    if value is None:
        raise _Invalid("missing_field", f"field {name!r} is missing")
    try:
        if isinstance(value, bool):
            raise TypeError
        if isinstance(value, int | float):
            if not math.isfinite(value):
                raise ValueError
            ts = datetime.fromtimestamp(value / 1000 if value > 1e11 else value, UTC)
        elif isinstance(value, str):
            ts = datetime.fromisoformat(value.replace("Z", "+00:00"))
            ts = ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)
        else:
            raise TypeError
    except (TypeError, ValueError, OverflowError, OSError) as exc:
        raise _Invalid("bad_timestamp", f"field {name!r} is not a timestamp: {value!r}") from exc
    if ts > now + timedelta(seconds=skew_s):
        raise _Invalid("future_timestamp", f"{name} {ts.isoformat()} is after {now.isoformat()}")
    return ts


def parse_news(payload: bytes, limits: ValidationSettings, now: datetime) -> NewsItem | Rejected:
    try:
        data = _load(payload, limits)
        item = NewsItem(
            id=_str(data, "id") or "",
            published_at=_timestamp(data, "published_at", now, limits.max_future_skew_s),
            source=_str(data, "source") or "",
            headline=_str(data, "headline") or "",
            body=_str(data, "body", required=False),
            tickers=tuple(t.upper().lstrip("$") for t in _str_list(data, "tickers")),
            topics=tuple(t.lower() for t in _str_list(data, "topics")),
        )
    except _Invalid as bad:
        return Rejected(bad.reason, bad.detail)
    return item


def _amount(data: dict[str, Any], limits: ValidationSettings) -> Decimal:
    value = data.get("amount")
    if value is None:
        raise _Invalid("missing_field", "field 'amount' is missing")
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise _Invalid("bad_type", f"field 'amount' must be a number, got {type(value).__name__}")
    try:
        amount = Decimal(str(value))
    except InvalidOperation as exc:
        raise _Invalid("bad_amount", f"amount {value!r} is not a number") from exc
    if not amount.is_finite() or abs(amount) > Decimal(str(limits.max_abs_amount)):
        raise _Invalid("bad_amount", f"amount {value!r} is not finite or absurdly large")
    return amount


def _code(data: dict[str, Any], name: str, pattern: re.Pattern[str]) -> str:
    value = (_str(data, name) or "").upper()
    if not pattern.match(value):
        raise _Invalid("bad_code", f"field {name!r} is not an ISO code: {value[:16]!r}")
    return value


def parse_transaction(
    payload: bytes, limits: ValidationSettings, now: datetime, account_key: bytes
) -> Transaction | Rejected:
    try:
        data = _load(payload, limits)
        memo = _str(data, "memo", required=False)
        tx = Transaction(
            id=_str(data, "id") or "",
            ts=_timestamp(data, "ts", now, limits.max_future_skew_s),
            account=hash_account(_str(data, "account") or "", account_key),
            counterparty=_str(data, "counterparty") or "",
            amount=_amount(data, limits),
            currency=_code(data, "currency", _CURRENCY),
            country=_code(data, "country", _COUNTRY),
            channel=(_str(data, "channel") or "").lower(),
            merchant_category=(_str(data, "merchant_category", required=False) or "").lower()
            or None,
            memo=mask_digits(memo) if memo else None,
        )
    except _Invalid as bad:
        return Rejected(bad.reason, bad.detail)
    return tx


def echo_payload(payload: bytes, account_key: bytes) -> bytes:
    """A rejected news payload is echoed as it came (it holds no personal fields)."""
    return payload


def redact_transaction_payload(payload: bytes, account_key: bytes) -> bytes:
    """A rejected transaction's payload with its account hashed and long digit runs masked."""
    try:
        data = orjson.loads(payload)
    except orjson.JSONDecodeError:
        data = None
    if isinstance(data, dict):
        if isinstance(data.get("account"), str | int):
            data["account"] = hash_account(str(data["account"]), account_key)
        if isinstance(data.get("memo"), str):
            data["memo"] = mask_digits(data["memo"])
        return orjson.dumps(data)
    text = payload.decode("utf-8", errors="replace")
    return _LONG_DIGITS.sub(lambda m: "#" * len(m.group()), text).encode()


@dataclass(slots=True)
class ParsedBatch:
    """A micro-batch after parsing: records to score, and dead letters with their payloads."""

    items: list[tuple[Any, SourceRef]]
    rejects: list[DeadLetter]
    payloads: dict[SourceRef, bytes]  # redacted payload of every record, for later rejects


def parse_batch(
    kind: RecordKind, raws: Sequence[tuple[bytes, SourceRef]], ctx: ParseContext
) -> ParsedBatch:
    """Parse ``(payload, source)`` pairs of one kind; the worker and ``finsentry rescore``
    both call this. The payloads kept for dead letters are the kind's redacted ones (for
    transactions: the account hashed and digit runs masked)."""
    out = ParsedBatch([], [], {})
    for raw, ref in raws:
        result = kind.parse(raw, ctx)
        echoed = kind.redact(raw, ctx.account_key)
        out.payloads[ref] = echoed
        if isinstance(result, Rejected):
            out.rejects.append(DeadLetter(result.reason, result.detail, ref, echoed))
        else:
            out.items.append((result, ref))
    return out
