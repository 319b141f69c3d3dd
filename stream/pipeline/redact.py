"""What a dead letter may echo of a rejected record: redaction that does not trust its types.

A rejected record is, by definition, not what the schema says: an account can arrive as a list,
an object or a float, a card number as an integer or inside a list of memos. So redaction walks
the whole JSON value, whatever its shape: every field named like an account (``account``,
``iban``, ``card_number``, ...) at any depth is replaced by its keyed hash (``acct_…``) whatever
its type, and every run of ``MIN_DIGITS`` or more digits left anywhere — in strings, in keys, in
numbers of any size — is masked with ``#``. A payload that is not JSON is masked as text. Years,
ISO timestamps and small amounts (fewer than six digits in a row) stay readable.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from typing import Any

import orjson

__all__ = ["ACCOUNT_FIELDS", "MIN_DIGITS", "hash_account", "mask_long_digits", "redact_payload"]

MIN_DIGITS = 6
ACCOUNT_FIELDS = frozenset(
    {
        "account",
        "account_id",
        "account_number",
        "accountnumber",
        "iban",
        "bban",
        "card",
        "card_number",
        "cardnumber",
        "pan",
        "counterparty_account",
    }
)
_LONG_DIGITS = re.compile(rf"\d{{{MIN_DIGITS},}}")
_MAX_DEPTH = 64  # deeper than this is cut (orjson refuses deeper input anyway)


def hash_account(account: str, key: bytes) -> str:
    """Keyed, stable pseudonym for an account: same account, same id; no way back."""
    digest = hmac.new(key, account.strip().encode(), hashlib.sha256).hexdigest()
    return f"acct_{digest[:20]}"


def mask_long_digits(text: str) -> str:
    """Runs of ``MIN_DIGITS`` or more digits become ``#`` of the same length."""
    return _LONG_DIGITS.sub(lambda m: "#" * len(m.group()), text)


def _account_hash(value: Any, key: bytes) -> Any:
    if value is None:
        return None
    text = value if isinstance(value, str) else orjson.dumps(value).decode()
    return hash_account(text, key)


def _redact(value: Any, key: bytes, depth: int) -> Any:
    if depth > _MAX_DEPTH:
        return "#cut#"
    if isinstance(value, str):
        return mask_long_digits(value)
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float):
        text = repr(value)
        return mask_long_digits(text) if _LONG_DIGITS.search(text) else value
    if isinstance(value, list):
        return [_redact(v, key, depth + 1) for v in value]
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for k, v in value.items():
            name = mask_long_digits(str(k))
            is_account = str(k).strip().lower().replace("-", "_") in ACCOUNT_FIELDS
            out[name] = _account_hash(v, key) if is_account else _redact(v, key, depth + 1)
        return out
    return mask_long_digits(str(value))


def redact_payload(payload: bytes, account_key: bytes) -> bytes:
    """``payload`` as a dead letter may echo it (see the module docstring)."""
    try:
        data = orjson.loads(payload.removeprefix(b"\xef\xbb\xbf"))
    except orjson.JSONDecodeError:
        return mask_long_digits(payload.decode("utf-8", errors="replace")).encode()
    return orjson.dumps(_redact(data, account_key, 0))
