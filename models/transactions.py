"""Transactions as the model sees them: one deterministic text rendering and the risk typologies.

``render_transaction`` is the only way a transaction becomes model input, in training and in
serving. ``assess_risk`` derives the training label from the same observable fields, so the
model learns what a reviewer could see on a single record.

Risk typologies (points add up; >= 4 is high, 2-3 medium, 0-1 low):

==========================  ======  =====================================================
typology                    points  what triggers it
==========================  ======  =====================================================
sanctioned jurisdiction     +4      counterparty country on the high-risk list (FATF
                                    call-for-action style: KP, IR, MM, SY, ...)
offshore centre             +1/+2   KY, VG, PA, ...; +2 when >= 5,000 USD-equivalent
structuring                 +3      cash or wire of 9,000-9,999.99 USD-equivalent (just
                                    under the 10,000 reporting threshold)
very large amount           +1/+2   >= 10,000 / >= 50,000 USD-equivalent
round amount                +1      a multiple of 1,000 and >= 1,000
high-risk merchant          +1      crypto exchange, gift cards, wallet top-up, gambling,
                                    money transfer; +1 more when >= 1,000
night-time                  +1      00:00-04:59 UTC
scam wording in memo        +2      "urgent", "gift card", "investment opportunity", ...
large ATM cash              +1      ATM withdrawal >= 2,000
==========================  ======  =====================================================
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from models.text import mask_digits

__all__ = [
    "HIGH_RISK_COUNTRIES",
    "HIGH_RISK_MERCHANTS",
    "OFFSHORE_COUNTRIES",
    "RiskAssessment",
    "Transaction",
    "assess_risk",
    "render_transaction",
    "usd_equivalent",
]

HIGH_RISK_COUNTRIES = frozenset({"KP", "IR", "MM", "SY", "YE", "AF", "RU", "BY"})
OFFSHORE_COUNTRIES = frozenset({"KY", "VG", "PA", "BZ", "SC", "BS", "VU"})
HIGH_RISK_MERCHANTS = frozenset(
    {"crypto_exchange", "gift_cards", "wallet_topup", "gambling", "money_transfer"}
)
SCAM_WORDS = (
    "urgent",
    "gift card",
    "investment opportunity",
    "bitcoin",
    "crypto",
    "lottery",
    "inheritance",
    "wire asap",
    "new account details",
    "verify account",
)
# Rough, fixed rates: the bands only need the order of magnitude, and must be deterministic.
_USD_PER_UNIT = {
    "USD": Decimal("1"),
    "EUR": Decimal("1.08"),
    "GBP": Decimal("1.27"),
    "CHF": Decimal("1.12"),
    "JPY": Decimal("0.0067"),
    "INR": Decimal("0.012"),
    "CAD": Decimal("0.73"),
    "AUD": Decimal("0.66"),
    "CNY": Decimal("0.14"),
    "SGD": Decimal("0.74"),
    "HKD": Decimal("0.13"),
}
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True, slots=True)
class Transaction:
    """One payment. ``account`` is already a keyed hash when it reaches the model."""

    id: str
    ts: datetime
    account: str
    counterparty: str
    amount: Decimal
    currency: str
    country: str
    channel: str
    merchant_category: str | None = None
    memo: str | None = None


@dataclass(frozen=True, slots=True)
class RiskAssessment:
    label: str
    points: int
    reasons: tuple[str, ...]


def usd_equivalent(amount: Decimal, currency: str) -> Decimal:
    return abs(amount) * _USD_PER_UNIT.get(currency.upper(), Decimal("1"))


def _amount_band(usd: Decimal) -> str:
    if Decimal(9000) <= usd < Decimal(10000):
        return "just under the 10,000 reporting threshold"
    if usd >= 50000:
        return "very large"
    if usd >= 10000:
        return "large, above reporting threshold"
    if usd >= 1000:
        return "sizeable"
    if usd >= 100:
        return "moderate"
    return "small"


def _time_band(hour: int) -> str:
    if hour < 5:
        return "night"
    if hour < 12:
        return "morning"
    if hour < 18:
        return "afternoon"
    return "evening"


def _country_tier(country: str) -> str:
    if country in HIGH_RISK_COUNTRIES:
        return "high-risk jurisdiction"
    if country in OFFSHORE_COUNTRIES:
        return "offshore centre"
    return "standard jurisdiction"


def render_transaction(tx: Transaction) -> str:
    """The model's text for one transaction. Deterministic; digit runs in the memo are masked."""
    usd = usd_equivalent(tx.amount, tx.currency)
    category = (tx.merchant_category or "unspecified").replace("_", " ")
    parts = [
        f"{tx.channel.replace('_', ' ')} payment of {abs(tx.amount):,.2f} {tx.currency.upper()}",
        f"({_amount_band(usd)}{', round amount' if _is_round(tx.amount) else ''})",
        f"to {mask_digits(tx.counterparty)} [{category}]",
        f"in {tx.country.upper()} ({_country_tier(tx.country.upper())})",
        f"at {tx.ts:%H:%M} on {_WEEKDAYS[tx.ts.weekday()]} ({_time_band(tx.ts.hour)}).",
    ]
    if tx.memo and tx.memo.strip():
        parts.append(f"Memo: {mask_digits(tx.memo.strip())[:200]}")
    return " ".join(parts)


def _is_round(amount: Decimal) -> bool:
    return abs(amount) >= 1000 and abs(amount) % 1000 == 0


def assess_risk(tx: Transaction) -> RiskAssessment:
    """Label a transaction low/medium/high by the typologies in this module's docstring."""
    usd = usd_equivalent(tx.amount, tx.currency)
    country = tx.country.upper()
    reasons: list[tuple[str, int]] = []
    if country in HIGH_RISK_COUNTRIES:
        reasons.append(("sanctioned_jurisdiction", 4))
    if country in OFFSHORE_COUNTRIES:
        reasons.append(("offshore_centre", 2 if usd >= 5000 else 1))
    if tx.channel in {"cash_deposit", "wire", "atm"} and Decimal(9000) <= usd < Decimal(10000):
        reasons.append(("structuring", 3))
    if usd >= 50000:
        reasons.append(("very_large_amount", 2))
    elif usd >= 10000:
        reasons.append(("large_amount", 1))
    if _is_round(tx.amount):
        reasons.append(("round_amount", 1))
    if tx.merchant_category in HIGH_RISK_MERCHANTS:
        reasons.append(("high_risk_merchant", 2 if usd >= 1000 else 1))
    if tx.ts.hour < 5:
        reasons.append(("night_time", 1))
    memo = (tx.memo or "").lower()
    if any(word in memo for word in SCAM_WORDS):
        reasons.append(("scam_wording", 2))
    if tx.channel == "atm" and usd >= 2000:
        reasons.append(("large_atm_cash", 1))
    points = sum(p for _, p in reasons)
    label = "high" if points >= 4 else "medium" if points >= 2 else "low"
    return RiskAssessment(label, points, tuple(name for name, _ in reasons))
