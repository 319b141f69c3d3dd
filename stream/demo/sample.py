"""A realistic sample feed for the demo and tests: headlines about the watchlist's tickers and
ordinary card/bank transactions, with an injected negative-news surge on one ticker (distinct
stories, some syndicated) and a burst of risky transactions, plus a few malformed records.
Every minute also brings a story syndicated by other sources ("UPDATE 1-… - Reuters"), and
the feed carries headlines about two companies and macro news (rates, inflation, oil, a
country): what entities, relevance and novelty are for. Deterministic for a seed.

``labelled_headlines`` gives the feed's headlines with the class of the template each came
from: the project's own labelled texts, for the training-code tests and ``bench model`` (the
sentiment corpus the model is trained on is not the project's to ship).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

__all__ = ["TEMPLATES", "SampleFeed", "labelled_headlines", "sample_feed"]

_COMPANIES = {
    "AAPL": "Apple",
    "MSFT": "Microsoft",
    "NVDA": "Nvidia",
    "JPM": "JPMorgan",
    "GS": "Goldman Sachs",
    "XOM": "Exxon",
    "TSLA": "Tesla",
    "AMZN": "Amazon",
    "PFE": "Pfizer",
    "AMD": "Advanced Micro Devices",
}
_NEUTRAL = (
    "{c} to present at investor conference next week",
    "{c} schedules quarterly results call for Thursday",
    "{c} names new head of investor relations",
    "{c} files annual report with the SEC",
    "{c} shares unchanged in early trading",
    "${t} options volume in line with average",
)
_POSITIVE = (
    "{c} beats earnings estimates and raises full-year guidance",
    "{c} shares jump after record quarterly revenue",
    "Analysts upgrade {c} to buy on strong demand",
    "{c} announces $5 billion buyback",
)
_NEGATIVE = (
    "{c} misses estimates and cuts its outlook",
    "{c} shares fall after weak sales",
    "Analysts downgrade {c} on slowing growth",
)
_SURGE = (
    "{c} shares plunge as regulators open fraud investigation",
    "{c} slashes guidance, warns of steep losses",
    "{c} stock crashes after accounting scandal",
    "{c} hit with record fine; shares tumble",
    "Investors dump {c} as losses mount",
    "{c} suspends dividend after massive writedown",
    "{c} faces lawsuit over misled investors",
)
# Distinct negative stories for the surge ({c}: the surge company): each is news, not a copy.
_SURGE_STORIES = (
    "{c} shares plunge as regulators open fraud investigation",
    "{c} stock crashes after accounting scandal at its trading unit",
    "{c} fined a record $2 billion, shares tumble",
    "Investors dump {c} as loan losses mount",
    "{c} suspends dividend after massive writedown",
    "{c} faces class action over misled investors",
    "{c} finance chief quits amid probe; stock slides",
    "Credit agencies downgrade {c} debt two notches",
    "{c} bonds slump to a record low",
    "Short sellers pile into {c} as losses widen",
    "{c} warns of steep quarterly loss, cuts outlook",
    "{c} shares sink on fears of hidden trading losses",
    "{c} clients pull deposits after data breach",
    "Auditor flags material weakness in {c} accounts, stock falls",
    "{c} delays annual report, shares tumble",
    "Rating downgrade sends {c} to worst day since 2008",
    "{c} hit by second lawsuit this week as losses grow",
    "Whistleblower says {c} hid billions in losses",
    "{c} board under pressure as stock sinks further",
    "Top investor dumps entire {c} stake as shares slide",
    "{c} slashes jobs as trading revenue collapses",
    "{c} posts surprise loss, misses estimates badly",
    "Analysts cut {c} to sell after profit warning",
    "{c} market value drops $30 billion in a day",
    "Regulators bar {c} from new business, shares plunge",
    "{c} loses appeal, faces $5 billion penalty",
    "Panic selling hits {c} as scandal deepens",
    "{c} cuts guidance again, shares slump",
    "{c} shares hit 10-year low on fraud charges",
    "Bondholders flee {c} as default fears rise",
)
# Stories about two companies ({c}, {c2}) and about the economy (no company at all).
_PAIRS = (
    "{c} and {c2} shares rise as the sector rallies",
    "{c} partners with {c2} on AI data centres",
    "{c} overtakes {c2} in quarterly revenue",
)
_MACRO = (
    ("Fed holds interest rates steady, signals cuts later this year", "neutral"),
    ("US inflation cools to 2.9% in October", "positive"),
    ("Oil prices jump as OPEC+ extends output cuts", "neutral"),
    ("ECB raises rates by 25 basis points", "negative"),
    ("China GDP growth slows to 4.6%", "negative"),
    ("Argentina's peso slides as inflation tops 100%", "negative"),
    ("Gold hits record high on rate-cut bets", "positive"),
    ("U.S. jobless claims fall to an eight-month low", "positive"),
)
_WIRES = ("UPDATE 1-{} - Reuters", "{} - Bloomberg", "BREAKING: {}", "{} | MarketWatch")
# template class -> templates ({c}: company name, {t}: ticker)
TEMPLATES: dict[str, tuple[str, ...]] = {
    "neutral": _NEUTRAL,
    "positive": _POSITIVE,
    "negative": _NEGATIVE + _SURGE,
}
_ORDINARY = (
    ("Whole Foods", "groceries", "card_present", 15, 120),
    ("Shell", "fuel", "card_present", 30, 90),
    ("Uber", "transport", "card_not_present", 8, 45),
    ("Netflix", "digital_services", "card_not_present", 10, 20),
    ("City Power", "utilities", "ach", 60, 240),
    ("Starbucks", "restaurants", "card_present", 4, 15),
)
_RISKY_MEMOS = ("URGENT transfer today", "investment opportunity - crypto", "gift card payment")


def labelled_headlines(n: int, seed: int = 7) -> list[tuple[str, str]]:
    """``n`` (headline, class) pairs from the feed's templates, classes in the feed's mix
    (60 % neutral, 25 % positive, 15 % negative); deterministic for a seed."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        roll = rng.random()
        label = "neutral" if roll < 0.6 else "positive" if roll < 0.85 else "negative"
        ticker = rng.choice(sorted(_COMPANIES))
        template = rng.choice(TEMPLATES[label])
        out.append((template.format(c=_COMPANIES[ticker], t=ticker), label))
    return out


@dataclass(frozen=True)
class SampleFeed:
    news: list[dict[str, Any]]
    transactions: list[dict[str, Any]]
    malformed_news: list[bytes]
    malformed_transactions: list[bytes]
    surge_ticker: str
    risky_merchant: str


def sample_feed(
    minutes: int = 45,
    seed: int = 7,
    end: datetime | None = None,
    surge_ticker: str = "JPM",
    news_per_min: int = 20,
    tx_per_min: int = 30,
    surge_at: int = 34,
    surge_len: int = 3,
    id_prefix: str = "",
) -> SampleFeed:
    """``minutes`` of news and transactions ending at ``end``; ``id_prefix`` starts every id
    (the demo's loop gives each round its own ids)."""
    rng = random.Random(seed)
    end = end or datetime.now(UTC).replace(microsecond=0)
    start = end - timedelta(minutes=minutes)
    news, txs = [], []
    surge_stories = list(_SURGE_STORIES)
    rng.shuffle(surge_stories)
    for minute in range(minutes):
        base = start + timedelta(minutes=minute)
        for i in range(news_per_min):
            ticker = rng.choice(sorted(_COMPANIES))
            roll = rng.random()
            pool = _NEUTRAL if roll < 0.6 else _POSITIVE if roll < 0.85 else _NEGATIVE
            news.append(
                _news(
                    f"{id_prefix}n{minute:03d}-{i:03d}",
                    base + timedelta(seconds=rng.randrange(60)),
                    ticker,
                    rng.choice(pool),
                    rng,
                )
            )
        news += _extras(f"{id_prefix}x{minute:03d}", base, minute, rng, surge_ticker)
        if surge_at <= minute < surge_at + surge_len:
            # each minute of the surge: its share of the distinct stories, and copies of the
            # stories so far from other sources (a real surge is both)
            per_minute = -(-len(surge_stories) // surge_len)
            first = (minute - surge_at) * per_minute
            fresh = surge_stories[first : first + per_minute]
            told = surge_stories[: first + len(fresh)]
            for i in range(15):
                template = (
                    fresh[i // 2]
                    if i % 2 == 0 and i // 2 < len(fresh)
                    else rng.choice(_WIRES).format(rng.choice(told))
                    if told
                    else rng.choice(_SURGE)
                )
                news.append(
                    _news(
                        f"{id_prefix}surge{minute:03d}-{i:02d}",
                        base + timedelta(seconds=2 * i + 1),
                        surge_ticker,
                        template,
                        rng,
                    )
                )
        for i in range(tx_per_min):
            txs.append(
                _ordinary_tx(
                    f"{id_prefix}t{minute:03d}-{i:03d}",
                    base + timedelta(seconds=rng.randrange(60)),
                    rng,
                )
            )
        if surge_at - 4 <= minute < surge_at - 4 + surge_len:
            for i in range(10):
                txs.append(
                    {
                        "id": f"{id_prefix}risky{minute:03d}-{i:02d}",
                        "ts": (base + timedelta(seconds=3 * i)).isoformat(),
                        "account": f"GB{rng.randrange(10**15, 10**16)}",
                        "counterparty": "QuickCoin Exchange",
                        "amount": rng.choice(("9800.00", "9950.00", "9900.00")),
                        "currency": "USD",
                        "country": rng.choice(("KY", "VG", "PA")),
                        "channel": "wire",
                        "merchant_category": "crypto_exchange",
                        "memo": rng.choice(_RISKY_MEMOS),
                    }
                )
    news.sort(key=lambda r: r["published_at"])
    txs.sort(key=lambda r: r["ts"])
    bad_news = [
        b"{not json",
        b'{"id": "x1", "source": "wire"}',
        b'{"id": "x2", "published_at": "2999-01-01T00:00:00Z", "source": "w", "headline": "h"}',
    ]
    bad_tx = [
        b'{"id": "y1", "ts": "2026-01-01T00:00:00Z", "account": "DE00123456789", '
        b'"counterparty": "X", "amount": "NaN", "currency": "USD", "country": "US", '
        b'"channel": "ach"}',
        b"[]",
    ]
    return SampleFeed(news, txs, bad_news, bad_tx, surge_ticker, "crypto_exchange")


def _news(id_: str, ts: datetime, ticker: str, template: str, rng: random.Random) -> dict[str, Any]:
    company = _COMPANIES[ticker]
    headline = template.format(c=company, t=ticker)
    record: dict[str, Any] = {
        "id": id_,
        "published_at": ts.isoformat(),
        "source": rng.choice(("newswire", "markets-desk", "social")),
        "headline": headline,
    }
    if rng.random() < 0.5:
        record["tickers"] = [ticker]
    return record


def _extras(
    prefix: str, base: datetime, minute: int, rng: random.Random, surge_ticker: str
) -> list[dict[str, Any]]:
    """A minute's story syndicated by 2-4 other sources, and every few minutes a headline
    about two companies or a macro story. Two-company headlines leave the surge ticker out:
    they are keyed by their first company, and a subject fed from two partitions sees its
    records interleaved in a backlog (see the README's known limitations)."""
    out = []
    ticker = rng.choice(sorted(_COMPANIES))
    story = rng.choice(_NEUTRAL + _POSITIVE).format(c=_COMPANIES[ticker], t=ticker)
    at = base + timedelta(seconds=rng.randrange(20))
    for k in range(1 + rng.randrange(2, 5)):
        headline = story if k == 0 else _WIRES[(k - 1) % len(_WIRES)].format(story)
        out.append(
            {
                "id": f"{prefix}-s{k}",
                "published_at": (at + timedelta(seconds=7 * k)).isoformat(),
                "source": ("newswire", "reuters", "bloomberg", "cnbc", "marketwatch")[k],
                "headline": headline,
            }
        )
    if minute % 3 == 0:
        a, b = rng.sample([t for t in sorted(_COMPANIES) if t != surge_ticker], 2)
        pair = rng.choice(_PAIRS).format(c=_COMPANIES[a], c2=_COMPANIES[b])
        out.append(_record(f"{prefix}-p", base + timedelta(seconds=30), "markets-desk", pair))
    if minute % 4 == 1:
        headline, _ = _MACRO[(minute // 4) % len(_MACRO)]
        out.append(_record(f"{prefix}-m", base + timedelta(seconds=40), "economics", headline))
    return out


def _record(id_: str, ts: datetime, source: str, headline: str) -> dict[str, Any]:
    return {"id": id_, "published_at": ts.isoformat(), "source": source, "headline": headline}


def _ordinary_tx(id_: str, ts: datetime, rng: random.Random) -> dict[str, Any]:
    name, category, channel, low, high = rng.choice(_ORDINARY)
    return {
        "id": id_,
        "ts": ts.isoformat(),
        "account": f"US{rng.randrange(10**9, 10**10)}",
        "counterparty": name,
        "amount": f"{rng.uniform(low, high):.2f}",
        "currency": "USD",
        "country": "US",
        "channel": channel,
        "merchant_category": category,
    }
