from datetime import UTC, datetime
from decimal import Decimal

from models.transactions import Transaction, assess_risk, render_transaction


def tx(**kw):
    base = dict(
        id="t1",
        ts=datetime(2026, 3, 4, 14, 5, tzinfo=UTC),
        account="acct-hash",
        counterparty="Whole Foods",
        amount=Decimal("42.50"),
        currency="USD",
        country="US",
        channel="card_present",
        merchant_category="groceries",
        memo=None,
    )
    return Transaction(**{**base, **kw})


def test_ordinary_grocery_purchase_is_low():
    assert assess_risk(tx()).label == "low"


def test_structuring_to_offshore_at_night_is_high():
    risky = tx(
        amount=Decimal("9900"),
        channel="wire",
        country="KY",
        merchant_category="crypto_exchange",
        ts=datetime(2026, 3, 4, 3, 10, tzinfo=UTC),
        memo="URGENT new account details",
    )
    result = assess_risk(risky)
    assert result.label == "high"
    assert {"structuring", "offshore_centre", "night_time", "scam_wording"} <= set(result.reasons)


def test_large_round_wire_is_medium():
    assert assess_risk(tx(amount=Decimal("25000"), channel="wire")).label == "medium"


def test_sanctioned_jurisdiction_alone_is_high():
    assert assess_risk(tx(country="KP")).label == "high"


def test_rendering_is_deterministic_and_masks_memo_digits():
    t = tx(memo="card 4111111111111111 refund", counterparty="Shop 123456")
    text = render_transaction(t)
    assert text == render_transaction(t)
    assert "4111" not in text and "123456" not in text
    assert text.startswith("card present payment of 42.50 USD (small) to Shop ###### [groceries]")
    assert "at 14:05 on Wednesday (afternoon)" in text
