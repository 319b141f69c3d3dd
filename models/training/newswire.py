"""News-like training text: tweets rewritten as newswire, and templated report sentences.

The news model learns from tweets (TFNS) but serves formal news as well: headlines without
cashtags or handles, and sentences from annual reports and press releases ("Net sales rose
12.4 % to EUR 45.6 million."). No labelled formal set is available offline, so the project
writes such text itself:

- :func:`detweet`: a tweet with its handles, cashtags, hashtags' ``#``, ``RT``, emoji, trailing
  ellipses and ``- Source`` suffixes removed, ending as a sentence. It keeps the tweet's label
  (the words that carry the sentiment are untouched). Case is left alone: both shipped
  tokenizers (MiniLM, mpnet) lower-case, so a sentence-case rewrite would change nothing.
- :func:`report_sentences`: sentences in the register of reports and releases, with numbers,
  currencies, periods and made-up company names, drawn from templates whose direction fixes
  the label: a metric that rises (or a loss that narrows) is positive, one that falls (or a
  loss that widens, job cuts, a lowered outlook) negative, a plain statement of fact (a
  total with no comparison, a date, a headcount, an appointment) neutral.

With a teacher (``models.training.distill``) every such text is also scored by the teacher,
so the student learns its judgement on text that looks like what it will serve.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Sequence

from models.datasets import LabelledTexts
from models.tasks import NEWS

__all__ = ["detweet", "report_sentences", "with_newswire"]

_HANDLE = re.compile(r"(?<!\w)@\w+:?")
# "$A $B - ...", "$A: ...": a leading list of tickers set off from the words
_CASHTAG_LIST = re.compile(r"^(?:\s*\$[A-Za-z][A-Za-z.]{0,6}\b[\s,]*)+[-:–|]\s*")
_CASHTAG = re.compile(r"\$([A-Za-z][A-Za-z.]{0,6})\b")
_HASHTAG = re.compile(r"#(\w+)")
_TRAILING_TAGS = re.compile(r"(?:\s+#\w+)+\s*$")  # "... #stocks #markets": no sentence
_RT = re.compile(r"^\s*RT\b:?\s*", re.IGNORECASE)
_URL = re.compile(r"https?://\S+|www\.\S+")
_ELLIPSIS = re.compile(r"\s*(?:…|\.\.\.)\s*$")
_SOURCE = re.compile(r"\s+[-|–]\s+[A-Z][\w.&' ]{1,40}$")  # "... - Reuters", "| Yahoo Finance"
_SYMBOL = re.compile(r"[\U0001F000-\U0001FAFF\u2600-\u27BF\uFE0F\u200D]")
_SPACE = re.compile(r"\s+")


def detweet(text: str) -> str:
    """``text`` as a newswire sentence: no handles, cashtags, hashtags, links or emoji."""
    out = _URL.sub(" ", text)
    out = _RT.sub("", out)
    out = _CASHTAG_LIST.sub("", out)
    out = _CASHTAG.sub(r"\1", out)
    out = _HANDLE.sub(" ", out)
    out = _HASHTAG.sub(r"\1", _TRAILING_TAGS.sub("", out))
    out = _SYMBOL.sub(" ", out)
    out = _SPACE.sub(" ", out).strip(" -:|,")
    out = _ELLIPSIS.sub("", out)
    out = _SOURCE.sub("", out).strip()
    if not out:
        return text
    if out[-1] not in ".!?\"')":
        out += "."
    return out[0].upper() + out[1:]


# -- report sentences ------------------------------------------------------------------------

_ROOTS = (
    "Nord Alma Vesta Kemi Sampo Orion Metsa Tieto Lassila Ponsse Aspo Raute Wartsila Kesko "
    "Elisa Fiskars Uponor Valmet Cargo Tecno Solar Atria Marine Nova Digia Glaston Basware "
    "Ramirent Stora Oriola Efore Scanfil Vaisala Exel Comptel Martela Okmetic Larox Biohit "
    "Rapala Trainer Evox Pohjola Talvi Lumo Aurora Baltic Helios Polar Norrland"
).split()
_SUFFIXES = ("Oyj", "plc", "AB", "ASA", "AG", "Group", "Inc.", "Corporation", "Ltd", "SA")
_UNITS = ("million", "mn", "m", "billion")
_CURRENCIES = ("EUR", "USD", "SEK", "GBP", "NOK", "DKK")
_PERIODS = (
    "the first quarter of {y}",
    "the second quarter",
    "the third quarter of {y}",
    "the fourth quarter",
    "January-June {y}",
    "January-September",
    "the financial year {y}",
    "{y}",
    "the reporting period",
    "the first half of {y}",
    "Q{q} {y}",
    "the review period",
)
# Metrics that are good news when they go up (the rest of the vocabulary: losses).
_METRICS = (
    "net sales",
    "revenue",
    "operating profit",
    "net profit",
    "pre-tax profit",
    "profit before taxes",
    "EBITDA",
    "earnings per share",
    "order intake",
    "the order backlog",
    "comparable sales",
    "operating income",
    "cash flow from operations",
    "net interest income",
    "sales",
    "the operating margin",
    "gross margin",
)
_LOSSES = ("operating loss", "net loss", "pre-tax loss", "loss per share", "loss before taxes")
_UP = ("increased", "rose", "grew", "climbed", "improved", "went up")
_DOWN = ("decreased", "fell", "declined", "dropped", "went down", "weakened")
_CITIES = ("Helsinki", "Espoo", "Stockholm", "Oslo", "Tampere", "London", "Frankfurt", "Turku")
_COUNTRIES = ("Finland", "Sweden", "Russia", "Poland", "the Baltic countries", "China", "Germany")
_TITLES = ("chief executive officer", "CFO", "head of sales", "senior vice president", "CEO")
_PEOPLE = ("Matti Virtanen", "Anna Lindqvist", "Jukka Heikkinen", "Eva Berg", "Mark Olsen")
_PRODUCTS = ("paper machines", "elevators", "software services", "steel products", "packaging")


class _Draw:
    """Random parts of one sentence; ``f`` fills a template with them."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def pick(self, items: Sequence[str]) -> str:
        return self.rng.choice(items)

    def company(self) -> str:
        r = self.rng.random()
        if r < 0.3:
            return self.pick(("The company", "The group", "The bank", "The Group", "It"))
        name = self.pick(_ROOTS) + (self.pick(_ROOTS).lower() if self.rng.random() < 0.3 else "")
        return f"{name} {self.pick(_SUFFIXES)}" if r < 0.8 else name

    def money(self, low: float = 0.5, high: float = 900.0) -> str:
        value = self.rng.uniform(low, high)
        digits = 1 if value < 100 else 0
        return f"{self.pick(_CURRENCIES)} {value:,.{digits}f} {self.pick(_UNITS)}"

    def pair(self, up: bool) -> tuple[str, str]:
        """Two amounts in one currency and unit, the first larger when ``up``."""
        cur, unit = self.pick(_CURRENCIES), self.pick(_UNITS)
        a = self.rng.uniform(1.0, 500.0)
        b = a * self.rng.uniform(0.45, 0.93)
        new, old = (a, b) if up else (b, a)
        return f"{cur} {new:,.1f} {unit}", f"{cur} {old:,.1f} {unit}"

    def pct(self) -> str:
        value = self.rng.uniform(0.5, 45.0)
        sign = self.pick(("%", " %", " percent", " per cent"))
        return f"{value:.1f}{sign}"

    def period(self) -> str:
        return (
            self.pick(_PERIODS)
            .replace("{y}", str(self.rng.randint(2004, 2024)))
            .replace("{q}", str(self.rng.randint(1, 4)))
        )

    def metric(self) -> str:
        return self.pick(_METRICS)


def _cap(text: str) -> str:
    return text[0].upper() + text[1:]


Template = Callable[[_Draw], str]


def _moved(up: bool) -> list[Template]:
    verbs = _UP if up else _DOWN
    return [
        lambda d: (
            f"{d.company()}'s {d.metric()} {d.pick(verbs)} by {d.pct()} to "
            f"{d.money()} in {d.period()}."
        ),
        lambda d: (
            lambda new, old: (
                f"{_cap(d.metric())} {d.pick(verbs)} to {new} from {old} in {d.period()}."
            )
        )(*d.pair(up)),
        lambda d: (
            lambda new, old: (
                f"In {d.period()}, {d.metric()} totalled {new}, compared with {old} a year earlier."
            )
        )(*d.pair(up)),
        lambda d: f"{_cap(d.metric())} {d.pick(verbs)} {d.pct()} year-on-year.",
        lambda d: f"{d.company()} said its {d.metric()} {d.pick(verbs)} {d.pct()} in {d.period()}.",
        lambda d: (
            lambda new, old: f"{_cap(d.metric())} was {new}, {'up' if up else 'down'} from {old}."
        )(*d.pair(up)),
        lambda d: (
            lambda new, old: (
                f"{_cap(d.pick(_LOSSES))} "
                f"{'narrowed' if up else 'widened'} to {old if up else new} from "
                f"{new if up else old}."
            )
        )(*d.pair(True)),
    ]


_POSITIVE: list[Template] = [
    *_moved(True),
    lambda d: (
        f"{d.company()} has won an order worth {d.money()} from a customer in {d.pick(_COUNTRIES)}."
    ),
    lambda d: (
        f"{d.company()} raised its outlook for {d.period()} and now expects {d.metric()} to grow."
    ),
    lambda d: (
        f"{d.company()} turned to an operating profit of {d.money()} from a loss of {d.money()}."
    ),
    lambda d: (
        f"Shares in {d.company()} rose {d.pct()} after the company reported "
        f"better-than-expected results."
    ),
    lambda d: (
        f"{d.company()} will expand its production of {d.pick(_PRODUCTS)} and hire "
        f"{d.rng.randint(20, 900)} new employees."
    ),
    lambda d: (
        f"{d.company()} posted record {d.metric().removeprefix('the ')} of {d.money()} "
        f"in {d.period()}."
    ),
    lambda d: (
        f"The board proposes to raise the dividend to {d.pick(_CURRENCIES)} "
        f"{d.rng.uniform(0.05, 3):.2f} per share."
    ),
]

_NEGATIVE: list[Template] = [
    *_moved(False),
    lambda d: (
        f"{d.company()} will cut {d.rng.randint(15, 2500)} jobs as demand for "
        f"{d.pick(_PRODUCTS)} weakens."
    ),
    lambda d: (
        f"{d.company()} lowered its outlook for {d.period()} and now expects "
        f"{d.metric()} to decline."
    ),
    lambda d: f"{d.company()} swung to a net loss of {d.money()} in {d.period()}.",
    lambda d: f"Shares in {d.company()} fell {d.pct()} after the company issued a profit warning.",
    lambda d: (
        f"{d.company()} will temporarily lay off {d.rng.randint(30, 1200)} employees "
        f"at its plant in {d.pick(_CITIES)}."
    ),
    lambda d: f"The customer cancelled an order worth {d.money()}, {d.company()} said.",
    lambda d: (
        f"{d.company()} recorded an impairment charge of {d.money()} on its "
        f"{d.pick(_PRODUCTS)} business."
    ),
]

_NEUTRAL: list[Template] = [
    lambda d: (
        f"{d.company()} will publish its interim report for {d.period()} on "
        f"{d.rng.randint(1, 28)} {d.pick(('April', 'May', 'July', 'October', 'February'))}."
    ),
    lambda d: f"In {d.period()}, {d.metric()} totalled {d.money()}.",
    lambda d: (
        f"{d.company()} is headquartered in {d.pick(_CITIES)} and employs "
        f"{d.rng.randint(40, 30000):,} people."
    ),
    lambda d: f"{d.pick(_PEOPLE)} has been appointed {d.pick(_TITLES)} of {d.company()}.",
    lambda d: f"The transaction is expected to be completed in {d.period()}.",
    lambda d: f"{d.company()} operates {d.rng.randint(3, 400)} stores in {d.pick(_COUNTRIES)}.",
    lambda d: (
        f"The annual general meeting will be held in {d.pick(_CITIES)} on "
        f"{d.rng.randint(1, 28)} March."
    ),
    lambda d: f"{d.company()} makes {d.pick(_PRODUCTS)} for customers in {d.pick(_COUNTRIES)}.",
    lambda d: "The value of the agreement was not disclosed.",
    lambda d: f"{_cap(d.metric())} was {d.money()}, unchanged from the previous year.",
    lambda d: (
        f"The shares of {d.company()} are listed on the "
        f"{d.pick(('Helsinki', 'Stockholm', 'Oslo', 'London'))} stock exchange."
    ),
    lambda d: (
        f"{d.company()} will hold a conference call for analysts on "
        f"{d.pick(('Monday', 'Tuesday', 'Thursday'))} at {d.rng.randint(9, 16)}:00."
    ),
]

_BY_LABEL = {"negative": _NEGATIVE, "neutral": _NEUTRAL, "positive": _POSITIVE}


def report_sentences(
    count: int, seed: int, shares: dict[str, float] | None = None
) -> LabelledTexts:
    """``count`` templated report sentences (seeded), labelled by their template's direction.

    ``shares``: the class mix (default: a third each).
    """
    rng = random.Random(seed)  # noqa: S311 - text generation, not security
    draw = _Draw(rng)
    shares = shares or {label: 1 / 3 for label in _BY_LABEL}
    labels = rng.choices(list(shares), weights=list(shares.values()), k=count)
    texts = [rng.choice(_BY_LABEL[label])(draw) for label in labels]
    return LabelledTexts(
        tuple(texts),
        tuple(NEWS.labels.index(label) for label in labels),
        NEWS,
        f"report-sentences:seed={seed}:n={count}",
    )


def with_newswire(
    data: LabelledTexts, reports: int, seed: int, copies: bool = True
) -> LabelledTexts:
    """``data`` plus (``copies``) a newswire copy of each text that de-tweeting changes beyond
    a final full stop, plus ``reports`` report sentences."""
    rewritten = [
        (wire, label)
        for text, label in zip(data.texts, data.labels, strict=True)
        if copies and (wire := detweet(text)).rstrip(".") != text.rstrip(".")
    ]
    extra = report_sentences(reports, seed) if reports else None
    texts = data.texts + tuple(c for c, _ in rewritten) + (extra.texts if extra else ())
    labels = data.labels + tuple(label for _, label in rewritten) + (extra.labels if extra else ())
    return LabelledTexts(texts, labels, data.task, data.source_sha256)
