"""Find the companies a text names: one matcher compiled from the universe, cheap per record.

The ways a company is named, strongest first:

- a cashtag ``$AAPL`` (a US listing of a universe company, or any ticker: unknown cashtags
  still count, as ``ticker:XYZ``);
- an exchange-prefixed ticker ``NYSE:ELAN``, ``(NASDAQ: AAPL)``, ``LON:SHEL``;
- a parenthesised ticker after a name, "Covanta Holding Corporation (CVA)" (known tickers,
  or unknown ones right after a legal suffix; acronyms like (CEO), (ETF) never count);
- a name or alias, found by looking word n-grams up in one table (no regex alternation over
  thousands of names), longest first; a bare upper-case ticker only for the watchlist's
  companies (across the whole universe too many are other acronyms);
- outside the universe, a capitalised name with a legal suffix ("Vecima Networks Inc.",
  "PEDEVCO Corp.") or a press-release heading ("Nordstrom : Hiring ... #Stock") becomes
  ``company:vecima_networks`` — a subject without a ticker or sector.

Names that are also common English words ("Target", "Shell", "Apple", "Next", "Visa", "Gap")
count only when written with their capitals and not in a context that makes them the word:
"price target", "apple juice", "shell company", "next week", "visa applications"; in a
Title Case headline, where every word has capitals, only before a company word ("Target
Stock Soars"). First-word short names (Goldman) follow the same rules. A one-word name right
after another capitalised name is a person's or another company's ("Tom Brady", "CEO Lindsay
Page"). Possessives and accents are folded ("Kohl's", "L'Oreal").
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

from stream.entities.universe import Universe, english_words, is_english

__all__ = ["EntityMatcher", "Mention"]

How = Literal["field", "cashtag", "exchange", "paren", "ticker", "name", "suffix", "headed"]

_CASHTAG = re.compile(r"(?<![\w$])\$([A-Za-z]{1,5}(?:\.[A-Za-z]{1,2})?)\b")
_EXCHANGE = re.compile(
    r"\b(NYSE|NASDAQ|NYSEAMERICAN|AMEX|NYSEARCA|LON|LSE|FRA|ETR|XETRA|EPA|AMS|TYO|TSE|TSX|"
    r"ASX|HKEX|OTC|OTCMKTS|OTCQX|OTCPK|SWX|STO|HEL|BME|BIT|NYSEMKT|MCX|TSXV|CSE|NZX|NSE|BSE|"
    r"SGX|KLSE|JSE|WSE|CPH|OB|ATH|ISE|BOVESPA)\s*:\s*([A-Z0-9]{1,6}(?:\.[A-Z]{1,2})?)\b"
)
_PAREN = re.compile(r"(\S+)\s*\(([A-Z]{1,5}(?:\.[A-Z]{1,2})?)\)")
_SUFFIXED = re.compile(
    r"(?<![\w'’])((?:(?:[A-Z][\w&'.\-]*|of|and|&) ){0,4}[A-Z][\w&'.\-]*),? "
    r"(?:Inc|Corp|Corporation|Ltd|Limited|plc|PLC|AG|SE|N\.V|S\.A|LLC|Holdings|Bancorp)\b\.?"
)
_HEADED = re.compile(r"^([A-Z][^:#\n]{1,60}?) : .*#(?:Stock|MarketScreener)\b")
_PAREN_EXCHANGE = re.compile(r"\(([A-Z]{2,8})\s*:\s*\$?([A-Z0-9]{1,6}(?:\.[A-Z]{1,2})?)\)")
# Title-case words that start a headline, not a company name: "Should You Buy Ecopetrol S.A."
_LEAD = frozenset(
    "the why is are how what who should you buy sell does do many much hedge funds fund "
    "investors investor own owns kind of a an earnings update analysts analyst see sees "
    "has have just released reported here's here trading at for gains ahead stock shares "
    "their its on more most bullish bearish never been lifted cut cutting".split()
)
_NUMBER_DASH = re.compile(r"(?<=\d)-(?=[A-Za-z])")
_WORD = re.compile(r"[0-9A-Za-zÀ-ÖØ-öø-ÿ]+(?:[&'’.\-][0-9A-Za-zÀ-ÖØ-öø-ÿ]+)*|&")
_LEGAL_END = re.compile(
    r"(?:inc|corp|corporation|co|company|ltd|limited|plc|holdings?|group|trust|sa|ag|se|nv|"
    r"lp|llc|reit|fund|bancorp|bancshares|technologies|therapeutics|pharmaceuticals)\.?,?$",
    re.IGNORECASE,
)
# Upper-case words that are not tickers when they appear in parentheses or bare.
ACRONYMS = frozenset(
    "A I AI API ATM CEO CFO COO CTO CIO EPS ETF ETFS ESG EU EV FDA FED FTC FX GDP HFT IMF "
    "IPO IRS IT LBO LNG M&A NAV NFT OPEC OTC PE PMI Q1 Q2 Q3 Q4 R&D REIT ROI SEC SPAC UK "
    "UN US USA USD EUR GBP JPY CNY WHO WTO YOY YTD ICU AGM EGM NYSE NASDAQ DJIA SPX VIX "
    "CPI PPI ECB BOE BOJ RBI SNB RBA PBOC FOMC EMEA APAC LATAM CAGR EBIT EBITDA FY TV PC "
    "UAE NATO COVID CDC NHS DOJ EPA FAA FCC FBI ADR ADRS ATH PT".split()
)
_LEFT_BLOCK = frozenset(
    "price prices target targets inflation sales revenue earnings profit margin stock "
    "share a an our your my his her their its no new big bad rotten golden green red".split()
)
_RIGHT_BLOCK = frozenset(
    "price prices juice juices pie cider orchard orchards tree trees company companies "
    "game games shock week weeks month months year years quarter quarters day days time "
    "step steps move moves generation gen big level levels round phase application "
    "applications applicants rules rule requirement requirements waiver waivers free ban "
    "bans policy holders holder date dates rate rates of".split()
)
# Names of markets and indices before they are companies ("Dow futures", "Nasdaq gains").
_MARKET_WORDS = frozenset(
    (w,)
    for w in [
        "nasdaq",
        "dow",
        "nyse",
        "s&p",
        "ftse",
        "dax",
        "cac",
        "nikkei",
        "russell",
        "stoxx",
        "euronext",
        "lse",
    ]
)
# After a common-word name in a Title Case headline: the words that make it the company.
_CORPORATE = frozenset(
    "inc inc. corp corp. corporation co plc ltd shares stock stocks ceo cfo earnings "
    "results reports reported posts beats misses tops q1 q2 q3 q4 fy revenue sales profit "
    "guidance downgraded upgraded downgrades upgrades cuts raises sees files announces to "
    "said says shareholders investors dividend buyback deal sues sued acquires buys sells "
    "launches unveils hires names appoints expands plans wins loses settles agrees rallies "
    "jumps falls slumps soars surges tumbles slides rises drops gains ceo's chief board "
    "unit stake".split()
)
_EXTRA_LEFT: Mapping[str, frozenset[str]] = {
    "target": frozenset(
        "price raises cuts lowers hikes trims sets set boosts on hit hits misses missed "
        "meets inflation rate".split()
    ),
    "shell": frozenset(["oil", "egg", "sea"]),
    "next": frozenset(["the"]),
}


@dataclass(frozen=True, slots=True)
class Mention:
    ticker: str  # "" for a company outside the universe without a ticker in the text
    how: How
    at: int  # character offset of the first mention in its text
    company: str = ""  # such a company's name as a key part: "vecima_networks"

    @property
    def key(self) -> str:
        return f"ticker:{self.ticker}" if self.ticker else f"company:{self.company}"


def _fold(word: str) -> str:
    """Lower case, accents, curly apostrophes and a possessive folded: "L’Oréal" ->
    "l'oreal", "Depot's" -> "depot"."""
    word = word.lower()
    if not word.isascii():
        word = unicodedata.normalize("NFKD", word.replace("’", "'"))
        word = "".join(ch for ch in word if not unicodedata.combining(ch))
    return word[:-2] if word.endswith("'s") and len(word) > 3 else word


def _key(words: list[str]) -> tuple[str, ...]:
    return tuple(_fold(w) for w in words)


def _slug(name: str, last: int | None = None) -> str:
    """A company name as a key part: legal words and "The" dropped, lower case, underscores;
    ``last``: only its last words (before a suffix, a Title Case headline runs into it)."""
    found = _WORD.findall(name)
    words = [_fold(w) for w in (found[-last:] if last else found)]
    while words and words[0] in _LEAD:
        words = words[1:]
    words = [w for w in words if w not in ("inc", "corp", "ltd", "plc", "co")]
    short = len(words) == 1 and len(words[0]) < 3 and not name.strip().isupper()  # "VF" ok
    if not words or short or any(w in _LEAD for w in words):
        return ""
    return "_".join(words)[:48]


def _bare(word: str) -> str:
    return word.removesuffix("'s").removesuffix("’s")


def _capitalised(word: str) -> bool:
    return word[:1].isupper()


class _Shape:
    """How a text is written, worked out on first use: most texts need none of it."""

    __slots__ = ("_joined", "_matches", "_shouting", "_text", "_title_case", "_words")

    def __init__(self, text: str, matches: list[re.Match[str]], words: list[str]) -> None:
        self._text, self._matches, self._words = text, matches, words
        self._joined: list[bool] | None = None
        self._shouting: bool | None = None
        self._title_case: bool | None = None

    @property
    def joined(self) -> list[bool]:
        """Word i follows word i-1 with only spaces between ("price target", not "target;
        Apple"): context words count only across such gaps."""
        if self._joined is None:
            m, text = self._matches, self._text
            self._joined = [
                i > 0 and not text[m[i - 1].end() : m[i].start()].strip() for i in range(len(m))
            ]
        return self._joined

    @property
    def shouting(self) -> bool:
        if self._shouting is None:
            self._shouting = sum(w.isupper() for w in self._words) > 0.6 * len(self._words)
        return self._shouting

    @property
    def title_case(self) -> bool:
        if self._title_case is None:
            long_words = [w for w in self._words if len(w) >= 4 and w.isalpha()]
            capitals = sum(w[0].isupper() for w in long_words)
            self._title_case = capitals > 0.7 * max(len(long_words), 1)
        return self._title_case


@dataclass(frozen=True, slots=True)
class EntityMatcher:
    """Compiled from a universe once; ``find`` is pure and thread-safe."""

    names: Mapping[tuple[str, ...], str]  # lower-case word tuple -> ticker
    common: Mapping[tuple[str, ...], str]  # English-word and first-word names, as written
    firsts: frozenset[str]
    longest: int
    tickers: Mapping[str, str]  # primary ticker or US listing ticker -> company ticker
    listings: Mapping[str, str]  # EXCHANGE:SYMBOL -> company ticker
    bare: frozenset[str]  # upper-case tickers that count without $ (not English words)

    @classmethod
    def build(cls, universe: Universe) -> EntityMatcher:
        english = english_words()
        names: dict[tuple[str, ...], str] = {}
        common: dict[tuple[str, ...], str] = {}
        tickers: dict[str, str] = {}
        listings: dict[str, str] = {}
        for company in universe.companies.values():
            for alias in company.aliases:
                words = _WORD.findall(alias)
                if not words:
                    continue
                key = _key(words)
                if key in _MARKET_WORDS:
                    continue  # "Nasdaq", "Dow": the index, not Nasdaq, Inc. or Dow Inc.
                names.setdefault(key, company.ticker)
                if len(words) == 1 and is_english(key[0], english):
                    common.setdefault(key, words[0])
            for short in company.short_names:  # "Goldman", "JPMorgan": only as written
                key = _key(_WORD.findall(short))
                if key and key not in names:
                    names[key] = company.ticker
                    common[key] = short
            for listing in company.listings:
                listings.setdefault(listing, company.ticker)
            for us in company.us_tickers:
                tickers.setdefault(us, company.ticker)
        for company in universe.companies.values():  # a primary ticker beats a listing's
            tickers[company.ticker] = company.ticker
        # Bare upper-case tickers only for the watchlist's companies: across the whole
        # universe too many are acronyms of something else ("RNG projects", "MHI").
        watched = {t for c in universe.companies.values() if c.ticker in universe.watched
                   for t in (c.ticker, *c.us_tickers)}  # fmt: skip
        bare = frozenset(
            t
            for t in watched
            if len(t) >= 3 and t.isalpha() and t.lower() not in english and t not in ACRONYMS
        )
        return cls(
            names,
            common,
            frozenset(k[0] for k in names),
            max((len(k) for k in names), default=0),
            tickers,
            listings,
            bare,
        )

    def ticker_of(self, symbol: str) -> str:
        """The universe ticker for a cashtag or listing symbol (itself when unknown)."""
        symbol = symbol.upper()
        return self.tickers.get(symbol, symbol)

    def find(self, text: str) -> list[Mention]:
        """Companies named in ``text``, each once, in order of first mention."""
        found: dict[str, Mention] = {}

        def add(ticker: str, how: How, at: int, company: str = "") -> None:
            key = ticker or company
            known = found.get(key)
            if known is None or at < known.at:
                found[key] = Mention(ticker, how if known is None else known.how, at, company)

        for m in _CASHTAG.finditer(text):
            symbol = m.group(1).upper()
            if (
                m.start() == 0
                and len(symbol) == 5
                and symbol not in self.tickers
                and (text[m.end() : m.end() + 1] == ":")
            ):
                continue  # "$SUMRX: Asian Markets Close": a news feed's section, not a ticker
            add(self.ticker_of(symbol), "cashtag", m.start())
        exchanges = list(_EXCHANGE.finditer(text)) + list(_PAREN_EXCHANGE.finditer(text))
        for m in exchanges:
            listing = f"{m.group(1)}:{m.group(2)}"
            add(self.listings.get(listing) or self.ticker_of(m.group(2)), "exchange", m.start())
        if exchanges:  # "AMS:DSM" names DSM, not a company called AMS
            text = _EXCHANGE.sub(lambda m: " " * len(m.group(0)), text)
        for m in _PAREN.finditer(text):
            symbol = m.group(2)
            suffixed = _LEGAL_END.search(m.group(1)) is not None
            if symbol in ACRONYMS and not suffixed:  # "(CEO)"; but "REIT Inc (CIO)"
                continue
            if symbol in self.tickers:
                add(self.tickers[symbol], "paren", m.start(2))
            elif suffixed and len(symbol) >= 2:
                add(symbol, "paren", m.start(2))
        self._names(text, add)
        if not found:
            self._unlisted(text, add)
        return sorted(found.values(), key=lambda mention: mention.at)

    def _unlisted(self, text: str, add: Callable[..., None]) -> None:
        """Companies outside the universe, named with a legal suffix or as a heading."""
        m = _HEADED.match(text)
        if m is not None:
            slug = _slug(m.group(1))
            if slug and f"#{slug.split('_')[0]}" in text.lower():  # "... #Nordstrom #Stock"
                add("", "headed", 0, slug)
        english = english_words()
        for m in _SUFFIXED.finditer(text):
            slug = _slug(m.group(1), last=3)
            weak = m.group(0).rstrip(". ").endswith("Holdings")
            if weak and all(w in english for w in re.split(r"[_-]", slug)):
                continue  # "Plans to Halve Hedge-Fund Holdings": words, not a name
            if slug:
                add("", "suffix", m.start(), slug)

    def _names(self, text: str, add: Callable[..., None]) -> None:
        text = _NUMBER_DASH.sub(" ", text)  # "UPDATE 1-Goldman Sachs": same length, same offsets
        matches = list(_WORD.finditer(text))
        words = [m.group(0) for m in matches]
        lower = [_fold(w) for w in words]
        shape = _Shape(text, matches, words)  # measured only when a rule needs it
        i = 0
        while i < len(words):
            if lower[i] not in self.firsts:
                if words[i] in self.bare and not shape.shouting:
                    add(self.tickers[words[i]], "ticker", matches[i].start())
                i += 1
                continue
            for n in range(min(self.longest, len(words) - i), 0, -1):
                key = tuple(lower[i : i + n])
                ticker = self.names.get(key)
                if ticker is None:
                    continue
                if n == 1 and (
                    not self._is_name(words, lower, shape.joined, i, key, shape.title_case)
                    if key in self.common
                    else self._after_a_name(words, lower, shape.joined, i, shape.title_case)
                ):
                    continue
                add(ticker, "name", matches[i].start())
                i += n - 1
                break
            else:
                if words[i] in self.bare and not shape.shouting:
                    add(self.tickers[words[i]], "ticker", matches[i].start())
            i += 1

    def _after_a_name(
        self, words: list[str], lower: list[str], joined: list[bool], i: int, title_case: bool
    ) -> bool:
        """A one-word name right after another capitalised name is a person's or another
        company's ("Tom Brady", "CEO Lindsay Page"), unless every word has capitals."""
        if title_case or not i or not joined[i] or not _capitalised(words[i - 1]):
            return False
        return i > 1 or not is_english(lower[i - 1], english_words())

    def _is_name(
        self,
        words: list[str],
        lower: list[str],
        joined: list[bool],
        i: int,
        key: tuple[str, ...],
        title_case: bool,
    ) -> bool:
        """A common-word name counts only as written ("Target") and outside word contexts; in a
        Title Case Headline, where every word has capitals, only before a company word."""
        if _bare(words[i]) != _bare(self.common[key]):  # as written, possessive aside
            return False
        left = lower[i - 1] if i and joined[i] else ""
        right = lower[i + 1] if i + 1 < len(lower) and joined[i + 1] else ""
        if left in _LEFT_BLOCK or left in _EXTRA_LEFT.get(key[0], ()):
            return False
        if right in _RIGHT_BLOCK:
            return False
        if title_case:  # every word has capitals: only a company word after it tells
            return right in _CORPORATE
        # "Southwest Ideas Investor Conference", "NBC News": part of another name
        return not (
            (left and i > 1 and _capitalised(words[i - 1]))
            or (right and _capitalised(words[i + 1]) and right not in _CORPORATE)
        )
