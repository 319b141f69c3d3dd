"""What a record is about: the subject keys its score is aggregated under.

News: cashtags ($AAPL) in the headline/body, the explicit ``tickers`` and ``topics`` fields,
and company names from the watchlist; each ticker also counts for its sector. Transactions:
the hashed account, the merchant category and the counterparty country.
Keys look like ``ticker:AAPL``, ``sector:technology``, ``topic:earnings``, ``account:acct_…``,
``merchant:crypto_exchange``, ``country:KY``.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from models.transactions import Transaction
from stream.errors import ConfigError
from stream.records import NewsItem

__all__ = ["Watchlist", "news_subjects", "transaction_subjects"]

_CASHTAG = re.compile(r"(?<![\w$])\$([A-Z]{1,5}(?:\.[A-Z])?)\b")


@dataclass(frozen=True)
class Watchlist:
    """Company names -> tickers -> sectors (from a TOML file of ``[[companies]]``)."""

    sectors: dict[str, str]  # ticker -> sector
    name_pattern: re.Pattern[str] | None
    names: dict[str, str]  # lower-case name -> ticker

    @classmethod
    def load(cls, path: Path) -> Watchlist:
        try:
            raw = tomllib.loads(path.read_text())
        except (OSError, tomllib.TOMLDecodeError) as exc:
            msg = (
                f"watchlist {path} cannot be read ({exc}): fix it or set "
                "FINSENTRY_ALERTS__WATCHLIST_FILE"
            )
            raise ConfigError(msg) from exc
        sectors: dict[str, str] = {}
        names: dict[str, str] = {}
        for i, company in enumerate(raw.get("companies", [])):
            ticker = str(company.get("ticker", "")).upper()
            if not ticker:
                msg = f"watchlist {path}: company #{i + 1} has no ticker"
                raise ConfigError(msg)
            sectors[ticker] = str(company.get("sector", "")).lower()
            for name in company.get("names", []):
                names[str(name).lower()] = ticker
        return cls.build(sectors, names)

    @classmethod
    def build(cls, sectors: dict[str, str], names: dict[str, str]) -> Watchlist:
        pattern = None
        if names:
            alternatives = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
            pattern = re.compile(rf"\b({alternatives})\b", re.IGNORECASE)
        return cls(sectors, pattern, names)

    @property
    def tickers(self) -> frozenset[str]:
        return frozenset(self.sectors)


def news_subjects(item: NewsItem, watchlist: Watchlist) -> tuple[str, ...]:
    text = item.headline if item.body is None else f"{item.headline}\n{item.body}"
    tickers = dict.fromkeys([*item.tickers, *_CASHTAG.findall(text)])
    if watchlist.name_pattern is not None:
        for match in watchlist.name_pattern.findall(text):
            tickers.setdefault(watchlist.names[match.lower()])
    keys = [f"ticker:{t}" for t in tickers]
    keys += [
        f"sector:{s}" for s in dict.fromkeys(watchlist.sectors.get(t, "") for t in tickers) if s
    ]
    keys += [f"topic:{t}" for t in dict.fromkeys(item.topics)]
    return tuple(keys)


def transaction_subjects(tx: Transaction) -> tuple[str, ...]:
    keys = [f"account:{tx.account}", f"country:{tx.country}"]
    if tx.merchant_category:
        keys.append(f"merchant:{tx.merchant_category}")
    return tuple(keys)
