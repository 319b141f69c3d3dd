"""Parse and validate raw Kafka payloads into records, or say why not (``Rejected``).

Nothing here raises on bad input: every problem becomes a ``Rejected`` with a bounded
``reason`` (used as a metric label) and a human ``detail``. Accounts are replaced by a keyed
hash here, so the raw number never travels further than this function.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

import orjson

from models.text import mask_digits
from stream.pipeline.redact import hash_account, mask_long_digits
from stream.records import DeadLetter, NewsItem, SourceRef, Transaction
from stream.settings import Settings, ValidationSettings

if TYPE_CHECKING:
    from stream.pipeline.kinds import RecordKind

__all__ = [
    "REASONS",
    "ParseContext",
    "ParsedBatch",
    "Rejected",
    "dead_letter",
    "hash_account",
    "parse_batch",
    "parse_news",
    "parse_transaction",
]

REASONS = (
    "empty",
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
_BOM = b"\xef\xbb\xbf"
_CURRENCY = re.compile(r"^[A-Z]{3}$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")


@dataclass(frozen=True, slots=True)
class ParseContext:
    """What parsing one batch needs: the limits, the time it runs at, the account hash key."""

    limits: ValidationSettings
    now: datetime
    account_key: bytes

    @classmethod
    def from_settings(cls, settings: Settings, now: datetime) -> ParseContext:
        """Without the entities and novelty a worker's ``BatchContext`` also builds (the CLI)."""
        key = settings.pii.account_hash_key.get_secret_value().encode()
        return cls(settings.validation, now, key)


@dataclass(frozen=True, slots=True)
class Rejected:
    reason: str
    detail: str


class _Invalid(Exception):
    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _load(payload: bytes, limits: ValidationSettings) -> dict[str, Any]:
    if not payload.strip():
        raise _Invalid("empty", "the record has no value (null or blank)")
    if len(payload) > limits.max_record_bytes:
        raise _Invalid("oversize", f"{len(payload)} bytes > {limits.max_record_bytes}")
    payload = payload.removeprefix(_BOM)  # some exporters start UTF-8 with a byte-order mark
    try:
        data = orjson.loads(payload)
    except orjson.JSONDecodeError as exc:
        try:  # valid JSON orjson will not read: integers beyond 64 bits (amounts then say so)
            data = json.loads(payload, parse_constant=_no_constants)
        except ValueError:
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


@dataclass(slots=True)
class ParsedBatch:
    """A micro-batch after parsing: records to score, and dead letters (redacted)."""

    items: list[tuple[Any, SourceRef]]
    rejects: list[DeadLetter]
    raws: dict[SourceRef, bytes]  # every record's payload as it came, for later rejects


def parse_batch(
    kind: RecordKind, raws: Sequence[tuple[bytes, SourceRef]], ctx: ParseContext
) -> ParsedBatch:
    """Parse ``(payload, source)`` pairs of one kind; the worker and ``finsentry rescore``
    both call this. A reject's payload and detail are redacted (``stream.pipeline.redact``)
    before they go anywhere."""
    out = ParsedBatch([], [], {})
    for raw, ref in raws:
        result = kind.parse(raw, ctx)
        out.raws[ref] = raw
        if isinstance(result, Rejected):
            out.rejects.append(dead_letter(kind, result.reason, result.detail, ref, raw, ctx))
        else:
            out.items.append((result, ref))
    return out


def dead_letter(
    kind: RecordKind, reason: str, detail: str, ref: SourceRef, raw: bytes, ctx: ParseContext
) -> DeadLetter:
    """A dead letter that echoes only what may leave the worker."""
    return DeadLetter(reason, mask_long_digits(detail), ref, kind.redact(raw, ctx.account_key))
