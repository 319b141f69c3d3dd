"""Labelled transactions for training: finforge's persona simulation plus risk-typology overlays.

finforge (PyPI, MIT) simulates realistic personal and business cash flows and injects fraud
scenarios (card fraud, account takeover, mule accounts, invoice fraud). It has no country,
channel or memo, so this module maps each row onto finsentry's transaction schema and overlays
the typologies of :mod:`models.transactions` (offshore and sanctioned counterparties,
structuring, night-time, scam memos) on a seeded share of rows, finforge's fraud rows first.
The label always comes from :func:`models.transactions.assess_risk` on the final record.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal

from models.transactions import (
    HIGH_RISK_COUNTRIES,
    OFFSHORE_COUNTRIES,
    Transaction,
    assess_risk,
)

__all__ = ["simulate_transactions"]

_CATEGORY_MAP: dict[str, tuple[str, str]] = {  # finforge category -> (merchant_category, channel)
    "food": ("restaurants", "card_present"),
    "coffee": ("restaurants", "card_present"),
    "meals": ("restaurants", "card_present"),
    "groceries": ("groceries", "card_present"),
    "travel": ("transport", "card_present"),
    "shopping": ("retail", "card_not_present"),
    "entertainment": ("entertainment", "card_not_present"),
    "subscription": ("digital_services", "card_not_present"),
    "software": ("digital_services", "card_not_present"),
    "utilities": ("utilities", "ach"),
    "housing": ("rent", "ach"),
    "income": ("payroll", "ach"),
    "business_income": ("business_income", "ach"),
    "vendor_payment": ("business_services", "wire"),
    "professional_services": ("business_services", "wire"),
    "inventory": ("wholesale", "wire"),
    "transfer": ("money_transfer", "p2p"),
}
_MERCHANT_MAP = {
    "Crypto Exchange": "crypto_exchange",
    "Gift Cards": "gift_cards",
    "Digital Wallet Topup": "wallet_topup",
}
_ORDINARY_MEMOS = (
    "",
    "",
    "",
    "thanks",
    "dinner",
    "rent",
    "invoice 20231",
    "groceries",
    "monthly plan",
    "order 5581203",
    "reimbursement",
    "birthday gift",
)
_SCAM_MEMOS = (
    "URGENT transfer today",
    "gift card payment as requested",
    "investment opportunity - crypto",
    "new account details, wire asap",
    "verify account fee",
    "bitcoin purchase",
)
_STANDARD_FOREIGN = ("GB", "DE", "FR", "SG", "JP", "CA", "NL", "IE", "AU", "CH")
_CURRENCIES = ("USD",) * 7 + ("EUR", "GBP", "INR")


def _base_rows(n_users: int, months: int, seed: int) -> list[dict[str, object]]:
    from finforge import DatasetGenerator  # train extra only

    frame = (
        DatasetGenerator(seed=seed)
        .with_users(n_users)
        .with_persona("mixed")
        .for_months(months)
        .with_fraud(rate=0.04)
        .generate()
    )
    return list(
        frame[
            ["transaction_id", "user_id", "timestamp", "merchant", "category", "amount", "is_fraud"]
        ].to_dict("records")
    )


def _overlay(row: dict[str, object], rng: random.Random) -> Transaction:
    category, channel = _CATEGORY_MAP.get(str(row["category"]), ("retail", "card_not_present"))
    category = _MERCHANT_MAP.get(str(row["merchant"]), category)
    ts: datetime = row["timestamp"].to_pydatetime().replace(tzinfo=UTC)  # type: ignore[attr-defined]
    amount = Decimal(str(abs(float(str(row["amount"]))))).quantize(Decimal("0.01"))
    country, currency = "US", rng.choice(_CURRENCIES)
    memo = rng.choice(_ORDINARY_MEMOS)
    fraud = bool(row["is_fraud"])
    roll = rng.random()
    if fraud or roll < 0.14:  # typical fraud shapes: foreign, at night, pushy memo
        country = rng.choice(
            sorted(OFFSHORE_COUNTRIES | HIGH_RISK_COUNTRIES) + list(_STANDARD_FOREIGN)
        )
        if rng.random() < 0.5:
            ts = ts.replace(hour=rng.randrange(0, 5))
        if rng.random() < 0.4:
            memo = rng.choice(_SCAM_MEMOS)
        if rng.random() < 0.3:
            category = rng.choice(("crypto_exchange", "gift_cards", "wallet_topup", "gambling"))
    elif roll < 0.21:  # structuring just under the threshold
        channel = rng.choice(("cash_deposit", "wire"))
        currency = "USD"
        amount = Decimal(rng.randrange(900000, 999999)) / 100
    elif roll < 0.28:  # legitimate cross-border business and travel
        country = rng.choice(_STANDARD_FOREIGN)
    elif roll < 0.34:  # large, often round, legitimate payments
        channel = "wire"
        amount = Decimal(rng.choice((12000, 15000, 25000, 60000, 13250, 48999)))
    elif roll < 0.39:
        channel, category = "atm", "cash_withdrawal"
        amount = Decimal(rng.choice((40, 100, 200, 500, 2500, 3000)))
    elif roll < 0.46:  # risky merchant types used innocently
        category = rng.choice(("crypto_exchange", "gift_cards", "gambling", "wallet_topup"))
    return Transaction(
        id=str(row["transaction_id"]),
        ts=ts,
        account=str(row["user_id"]),
        counterparty=str(row["merchant"]),
        amount=amount,
        currency=currency,
        country=country,
        channel=channel,
        merchant_category=category,
        memo=memo or None,
    )


def simulate_transactions(
    n: int, seed: int = 13, n_users: int = 120
) -> Iterator[tuple[Transaction, str]]:
    """Yield ``n`` (transaction, risk label) pairs, deterministic for a given seed."""
    rng = random.Random(seed)
    produced, months = 0, max(1, n // (n_users * 20) + 1)
    while produced < n:
        rows = _base_rows(n_users, months, seed + produced)
        for row in rows:
            tx = _overlay(row, rng)
            tx = dataclasses.replace(tx, id=f"{tx.id}-{produced}")
            yield tx, assess_risk(tx).label
            produced += 1
            if produced >= n:
                return
