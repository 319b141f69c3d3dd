"""The companies news can be about: a base universe plus the user's watchlist.

The base is every member of pytickersymbols' twenty indices (S&P 500, NASDAQ 100, Dow, FTSE 100,
DAX family, CAC 40, Euro Stoxx 50, Nikkei 225, OMX, ...), or a universe file in the watchlist's
format. Each company has one ticker (its Yahoo symbol: ``AAPL``, ``SIE.DE``, ``7203.T``), a
sector of the one taxonomy (``sectors``), the names it is written as, and its listings
(``NYSE:SHEL``, ``LON:SHEL``), whose US tickers also resolve cashtags (``$SHEL``).

Names: the full name, the name with legal suffixes stripped ("Target Corporation" -> "Target",
"Goldman Sachs Group, Inc." -> "Goldman Sachs"), and as a short name, matched only as written,
its first word where no other company starts with it and it is neither an English word nor a
person in the news ("Goldman"; "Deutsche" is shared, "Delta" a word, "Powell" the Fed's).

Watchlist file (TOML), per ``[[companies]]``: ``ticker``, optional ``names``, ``sector`` and
``listings``. A ticker of the base gets the names added and the sector replaced; a new ticker
adds a company. A ticker given twice with different sectors is an error naming both entries.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import Any

from stream.entities.sectors import SECTORS, sector_of
from stream.errors import ConfigError

__all__ = ["Company", "Universe", "aliases_of", "english_words", "is_english", "strip_legal"]

_LEGAL = re.compile(
    r"(?:[\s,]+(?:inc|incorporated|corp|corporation|co|company|companies|plc|p\.l\.c|ltd|"
    r"limited|llc|lp|l\.p|se|s\.e|ag|kgaa|nv|n\.v|sa|s\.a|s\.p\.a|spa|ab|asa|oyj|a/s|as|"
    r"group|holdings?|holding|the|class [a-c]|& co|and company)\.?)+$",
    re.IGNORECASE,
)
_US_EXCHANGES = ("NYSE", "NASDAQ", "NYSEAMERICAN", "AMEX", "BATS")
# First words that never stand for one company on their own, unique or not.
_GENERIC_FIRST = frozenset(
    "american first general united national international global royal bank capital "
    "southern northern western eastern new great public central federal standard "
    "consolidated continental pacific atlantic alpha old west east north south the china "
    "japan india deutsche us u.s. walt wells "
    # people in the news whose surname starts a company's name ("Powell Industries")
    "powell trump biden musk buffett dimon bezos lagarde yellen draghi mnuchin kudlow "
    "warren sanders johnson carney kuroda xi modi macron merkel putin".split()
)


# One-word names (legal suffixes stripped) too generic to stand for their company: "News"
# (News Corp), "Partners" (Partners Group). The full names still match.
_GENERIC_ALIASES = frozenset(
    "news investor investors partners group energy capital health international global "
    "first united general national american standard premier pioneer sun match box core "
    "host arch equity alliance eagle prime summit insight liberty heritage community "
    "ally element essential evolution bancorp".split()
)


@dataclass(frozen=True, slots=True)
class Company:
    ticker: str
    name: str
    sector: str | None
    aliases: tuple[str, ...]  # names as written in text, longest first
    listings: tuple[str, ...] = ()  # EXCHANGE:SYMBOL
    short_names: tuple[str, ...] = ()  # first-word names: they count only as written

    @property
    def us_tickers(self) -> tuple[str, ...]:
        """Tickers of its US listings: what a cashtag names."""
        return tuple(
            symbol
            for exchange, _, symbol in (listing.partition(":") for listing in self.listings)
            if exchange in _US_EXCHANGES and symbol
        )


def strip_legal(name: str) -> str:
    """``name`` without trailing legal suffixes and a leading "The"."""
    core = _LEGAL.sub("", name.strip()).strip(" ,.&")
    core = _LEGAL.sub("", core).strip(" ,.&")  # "Carnival Corporation & plc"
    core = re.sub(r"^the\s+", "", core, flags=re.IGNORECASE)
    core = re.sub(r"\s*\([^)]*\)\s*$", "", core)  # "Française des Jeux (Lotterie)"
    return core or name.strip()


def aliases_of(name: str) -> tuple[str, ...]:
    """The full name and the name without legal suffixes (first-word names are added by the
    universe, which knows whether another company shares the word). A stripped name that is
    a quarter or too short to be told from text ("Q2" of Q2 Holdings) is not an alias; two
    capitals are ("BP", "GM", "3M")."""
    return tuple(dict.fromkeys(a for a in (name.strip(), strip_legal(name)) if _usable(a)))


def _usable(alias: str) -> bool:
    if alias.lower() in _GENERIC_ALIASES:
        return False
    if re.fullmatch(r"(?i)(?:q[1-4]|h[12]|fy\d*|\d+)", alias):
        return False
    return len(alias) >= 3 or (len(alias) == 2 and alias.isalnum() and alias.isupper())


@dataclass(frozen=True, slots=True)
class Universe:
    companies: Mapping[str, Company]  # ticker -> company
    watched: frozenset[str] = frozenset()  # tickers the watchlist names (always exported)

    @classmethod
    def load(cls, universe_file: Path | None, watchlist_file: Path | None) -> Universe:
        """The base (pytickersymbols, or ``universe_file``) with the watchlist applied; a
        ``ConfigError`` names the file, the entry and what to do."""
        base = (
            _from_pytickersymbols()
            if universe_file is None
            else _read_entries(universe_file, "FINSENTRY_ENTITIES__UNIVERSE_FILE")
        )
        universe = cls.build(base)
        if watchlist_file is not None:
            universe = universe.merged(
                _read_entries(watchlist_file, "FINSENTRY_ALERTS__WATCHLIST_FILE")
            )
        return universe

    @classmethod
    def build(cls, companies: Iterable[Company]) -> Universe:
        by_ticker: dict[str, Company] = {}
        for company in companies:
            known = by_ticker.get(company.ticker)
            if known is not None:
                company = replace(
                    known,
                    aliases=tuple(dict.fromkeys(known.aliases + company.aliases)),
                    listings=tuple(dict.fromkeys(known.listings + company.listings)),
                )
            by_ticker[company.ticker] = company
        return cls(_with_short_names(by_ticker, english_words()))

    def merged(self, overrides: Iterable[Company]) -> Universe:
        """This universe with watchlist entries applied (names added, sector replaced)."""
        companies = dict(self.companies)
        watched = set(self.watched)
        for entry in overrides:
            watched.add(entry.ticker)
            known = companies.get(entry.ticker)
            if known is None:
                companies[entry.ticker] = entry
                continue
            companies[entry.ticker] = replace(
                known,
                sector=entry.sector or known.sector,
                aliases=tuple(dict.fromkeys(entry.aliases + known.aliases)),
                listings=tuple(dict.fromkeys(known.listings + entry.listings)),
            )
        return Universe(companies, frozenset(watched))

    def sector(self, ticker: str) -> str | None:
        company = self.companies.get(ticker)
        return None if company is None else company.sector

    def __len__(self) -> int:
        return len(self.companies)


def _with_short_names(companies: dict[str, Company], english: frozenset[str]) -> dict[str, Company]:
    """Add each company's first word as an alias where it is unique and not an English word
    ("Goldman" yes; "Delta", "Best", "London" no: their full names still match)."""
    firsts: dict[str, list[str]] = {}
    full = {a.lower() for c in companies.values() for a in c.aliases}
    for ticker, company in companies.items():
        words = strip_legal(company.name).split()
        if len(words) > 1:
            firsts.setdefault(words[0].lower(), []).append(ticker)
    out = dict(companies)
    for first, tickers in firsts.items():
        if (
            len(tickers) == 1
            and len(first) >= 4
            and first not in _GENERIC_FIRST
            and not is_english(first, english)
            and first not in full
            and not first.isdigit()
        ):
            company = out[tickers[0]]
            word = strip_legal(company.name).split()[0].strip(",.")
            if len(word) >= 4:
                out[tickers[0]] = replace(company, short_names=(word,))
    return out


def is_english(word: str, english: frozenset[str]) -> bool:
    """``word`` (lower case) or its singular is an English word: "partners", "customers"."""
    return (
        word in english
        or (word.endswith("s") and word[:-1] in english)
        or (word.endswith("es") and word[:-2] in english)
    )


@cache
def english_words() -> frozenset[str]:
    """Lower-case English words (GCIDE, from PyPI ``english-words``): names that are words
    need more evidence (``matcher``)."""
    from english_words import get_english_words_set

    return frozenset(get_english_words_set(["gcide"], lower=True))


def _from_pytickersymbols() -> list[Company]:
    from pytickersymbols import PyTickerSymbols  # a 2 MB data module: loaded when needed

    companies = []
    for stock in PyTickerSymbols().get_all_stocks():
        ticker = str(stock.get("symbol") or "").upper()
        name = str(stock.get("name") or "")
        if not ticker or not name:
            continue
        listings = tuple(
            str(s["google"]).upper()
            for s in stock.get("symbols") or []
            if ":" in str(s.get("google") or "")
        )
        companies.append(
            Company(
                ticker,
                name,
                sector_of(stock.get("industries") or []),
                aliases_of(name),
                listings,
            )
        )
    return companies


def _read_entries(path: Path, variable: str) -> list[Company]:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        msg = f"company file {path} cannot be read ({exc}): fix it or set {variable}"
        raise ConfigError(msg) from exc
    entries = raw.get("companies", [])
    if not isinstance(entries, list):
        msg = f"company file {path}: expected [[companies]] tables; see stream/data/watchlist.toml"
        raise ConfigError(msg)
    seen: dict[str, tuple[int, str | None]] = {}
    companies = []
    for i, entry in enumerate(entries, start=1):
        company = _entry(path, i, entry)
        if company.ticker in seen and seen[company.ticker][1] != company.sector:
            first, sector = seen[company.ticker]
            msg = (
                f"company file {path}: ticker {company.ticker} is in entry #{first} with sector "
                f"{sector!r} and in entry #{i} with {company.sector!r}: keep one entry"
            )
            raise ConfigError(msg)
        seen.setdefault(company.ticker, (i, company.sector))
        companies.append(company)
    return companies


def _entry(path: Path, i: int, entry: Any) -> Company:
    where = f"company file {path}, entry #{i}"
    if not isinstance(entry, dict):
        msg = f'{where} is not a table: write it as [[companies]] with ticker = "..."'
        raise ConfigError(msg)
    ticker = entry.get("ticker")
    if not isinstance(ticker, str) or not ticker.strip().lstrip("$"):
        msg = f'{where} has no ticker: add ticker = "..."'
        raise ConfigError(msg)
    names = entry.get("names", [])
    listings = entry.get("listings", [])
    if not isinstance(names, list) or not all(isinstance(n, str) and n.strip() for n in names):
        msg = f"{where} ({ticker}): names must be a list of non-empty strings"
        raise ConfigError(msg)
    if not isinstance(listings, list) or not all(isinstance(x, str) and ":" in x for x in listings):
        msg = f'{where} ({ticker}): listings must be a list like ["NYSE:TGT"]'
        raise ConfigError(msg)
    sector = entry.get("sector")
    if sector is not None:
        sector = str(sector).strip().lower().replace(" ", "_")
        if sector not in SECTORS:
            msg = f"{where} ({ticker}): unknown sector {entry['sector']!r}; use one of " + (
                ", ".join(SECTORS)
            )
            raise ConfigError(msg)
    aliases = tuple(dict.fromkeys(a for n in names for a in aliases_of(n)))
    return Company(
        ticker.strip().lstrip("$").upper(),
        names[0] if names else ticker,
        sector,
        aliases,
        tuple(x.upper() for x in listings),
    )
