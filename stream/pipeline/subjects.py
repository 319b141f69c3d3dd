"""What a record is about: the subjects its score is aggregated under, each with a relevance.

News: the companies it names (the ``tickers`` field, cashtags, exchange-prefixed and
parenthesised tickers, names and aliases of the universe; ``stream.entities``), their sectors,
its event types and macro subjects, and the ``topics`` field. Each subject gets a relevance in
[0, 1] (``stream.entities.relevance``); subjects below ``min_relevance`` do not count at all,
the rest come most relevant first. Transactions: the hashed account, the merchant category and
the counterparty's country, each fully relevant.

Keys: ``ticker:AAPL``, ``company:vecima_networks`` (outside the universe), ``sector:energy``,
``event:guidance_cut``, ``macro:rates``, ``country:AR``, ``commodity:oil``, ``topic:…``;
``account:acct_…``, ``merchant:crypto_exchange``, ``counterparty_country:KY``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from models.transactions import Transaction
from stream.entities.events import MacroTagger
from stream.entities.matcher import EntityMatcher, Mention
from stream.entities.relevance import SECTOR_FACTOR, company_relevance, tag_relevance
from stream.entities.universe import Company, Universe
from stream.records import NewsItem, Subject

__all__ = ["Entities", "news_subjects", "transaction_subjects"]

SCAN_CHARS = 5000  # of a news body, for companies and events: bounded work per record


@dataclass(frozen=True, slots=True)
class Entities:
    """The universe with its compiled matchers: built once per run, shared by every batch."""

    universe: Universe
    matcher: EntityMatcher
    tagger: MacroTagger
    min_relevance: float = 0.0

    @classmethod
    def load(
        cls, universe_file: Path | None, watchlist_file: Path | None, min_relevance: float = 0.0
    ) -> Entities:
        """Reads the universe and watchlist (a ``ConfigError`` names the entry at fault)."""
        return cls.build(Universe.load(universe_file, watchlist_file), min_relevance)

    @classmethod
    def build(cls, universe: Universe, min_relevance: float = 0.0) -> Entities:
        return cls(universe, EntityMatcher.build(universe), MacroTagger.build(), min_relevance)

    @classmethod
    def of(cls, companies: dict[str, str], names: dict[str, str]) -> Entities:
        """A small universe for tests: ticker -> sector, name as written -> ticker."""
        aliases: dict[str, list[str]] = {t: [] for t in companies}
        for name, ticker in names.items():
            aliases.setdefault(ticker, []).append(name)
        return cls.build(
            Universe.build(
                Company(t, (aliases.get(t) or [t])[0], companies.get(t) or None, tuple(a))
                for t, a in aliases.items()
            )
        )


def news_subjects(item: NewsItem, entities: Entities) -> tuple[Subject, ...]:
    body = (item.body or "")[:SCAN_CHARS]
    fields = [
        Mention(entities.matcher.ticker_of(t), "field", -1)
        for t in dict.fromkeys(t.upper() for t in item.tickers)
    ]
    companies = company_relevance(
        fields + entities.matcher.find(item.headline),
        entities.matcher.find(body) if body else [],
    )
    sectors: dict[str, float] = {}
    for key, relevance in companies.items():
        sector = entities.universe.sector(key.removeprefix("ticker:"))
        if sector is not None:
            value = round(relevance * SECTOR_FACTOR, 3)
            sectors[f"sector:{sector}"] = max(sectors.get(f"sector:{sector}", 0.0), value)
    tags = tag_relevance(
        entities.tagger.tags(item.headline), entities.tagger.tags(body) if body else []
    )
    topics = {f"topic:{t}": 1.0 for t in item.topics}
    found = {**companies, **sectors, **tags, **topics}
    subjects = [Subject(k, v) for k, v in found.items() if v >= entities.min_relevance]
    return tuple(sorted(subjects, key=lambda s: -s.relevance))


def transaction_subjects(tx: Transaction) -> tuple[Subject, ...]:
    keys = [f"account:{tx.account}", f"counterparty_country:{tx.country}"]
    if tx.merchant_category:
        keys.append(f"merchant:{tx.merchant_category}")
    return tuple(Subject(k) for k in keys)
