"""Event types and macro subjects of a news text, from compiled patterns.

Events (``event:<type>``): what happened to a company. Macro subjects: the economy a story is
about, as ``macro:rates`` (central banks, interest rates, yields), ``macro:inflation``,
``macro:growth``, ``macro:jobs``, ``macro:trade``, ``commodity:oil`` (gold, gas, ...) and
``country:<ISO code>``. Alert rules may target any of them by key prefix (``event:``,
``event:guidance_cut``, ``macro:``, ``country:AR``).

Each type is one case-insensitive pattern (country names are case-sensitive: "US" the
country, "us" the word); the patterns are the documentation of what each type means, and each
has tests of what it must and must not match.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

__all__ = ["EVENT_TYPES", "MacroTagger", "Tag", "tags_of"]

_EVENTS: dict[str, str] = {
    "earnings_beat": r"\bbeats? (?:by|on|estimates|expectations|forecasts|consensus|views|"
    r"the street|analysts?)\b|\btops? (?:estimates|expectations|forecasts|views)|"
    r"\b(?:above|ahead of|exceed(?:s|ed)?) (?:estimates|expectations|forecasts|consensus)|"
    r"better[- ]than[- ]expected",
    "earnings_miss": r"\bmiss(?:es|ed)? (?:by|on|estimates|expectations|forecasts|consensus|"
    r"views|the street|analysts?)\b|\b(?:below|short of) (?:estimates|expectations|"
    r"forecasts|consensus)|worse[- ]than[- ]expected|\bprofit warning",
    "earnings": r"\b(?:Q[1-4]|FY\s?\d{0,4}|first[- ]quarter|second[- ]quarter|third[- ]quarter|"
    r"fourth[- ]quarter|quarterly|annual|half[- ]year)\b.{0,40}\b(?:results?|earnings|profits?|"
    r"loss|revenue|sales|EPS)\b|\bEPS\b|\bearnings\b|\bnet (?:income|profit|loss)\b|"
    r"\b(?:financial|operating) results\b|\bresults for the\b|\breports? (?:Q[1-4]|"
    r"\w+ quarter|fiscal|FY)|\brevenue (?:rises|falls|grows|jumps|up|down)\b",
    "guidance_raised": r"\b(?:rais(?:es|ed|ing)|lifts?|lifted|boosts?|boosted|ups|hikes?|hiked)"
    r" (?:\S+ ){0,4}?(?:guidance|outlook|forecasts?|view)\b",
    "guidance_cut": r"\b(?:cuts?|lowers?|lowered|slash(?:es|ed)?|trims?|trimmed|reduces?|"
    r"reduced|withdraws?|withdrew|pulls?) (?:\S+ ){0,4}?(?:guidance|outlook|forecasts?|view)\b|"
    r"\bwarns? on (?:profits?|earnings|sales|revenue|outlook)\b",
    "guidance": r"\b(?:sees|guides?|expects|forecasts|reaffirms|backs) (?:Q[1-4]|FY|full[- ]year|"
    r"\d{4}|fiscal|first|second|third|fourth)\b|\bguidance\b|\boutlook\b",
    "analyst_upgrade": r"\bupgrade[sd]?\b|\braised to (?:buy|outperform|overweight)|"
    r"\b(?:raises?|lifts?|boosts?) (?:\S+ )?(?:price target|PT)\b|price target (?:raised|"
    r"lifted|increased)",
    "analyst_downgrade": r"\bdowngrade[sd]?\b|\bcut to (?:sell|underperform|underweight|"
    r"neutral|hold)|\b(?:cuts?|lowers?|trims?) (?:\S+ )?(?:price target|PT)\b|price target "
    r"(?:cut|lowered|reduced)",
    "analyst_initiation": r"\b(?:initiat(?:es|ed)|starts?|started|resumed?) (?:coverage|at)\b|"
    r"\breiterat(?:es|ed)\b",
    "mna": r"\bacqui(?:re[sd]?|ring|sition)\b|\bmerg(?:e|es|ed|er|ers|ing)\b|\btakeover\b|"
    r"\bbuyout\b|\b(?:agrees? to buy|deal to buy|offer to buy|to acquire|bid for|offer for|"
    r"stake in)\b",
    "litigation": r"\blawsuits?\b|\bsu(?:es|ed|ing)\b|\bclass action\b|\bsettlement\b|"
    r"\bsettles? (?:lawsuit|case|claims|charges|probe|with)\b|"
    r"\bprobe\b|\binvestigat(?:ion|es|ing)\b|\bantitrust\b|\bfined\b|\bfines? (?:of|for|"
    r"over)\b|\bsubpoena|\bindict|"
    r"\bregulators?\b|\bcharges? (?:against|filed)",
    "layoffs": r"\blay(?:s|ing)? off\b|\blayoffs?\b|\bjob cuts?\b|\bcut(?:s|ting)? [\d,]+ "
    r"(?:jobs|workers|employees|staff)|\bworkforce reduction|\bheadcount\b|\blaying off\b",
    "price_move": r"\b(?:shares|stock)\b.{0,30}\b(?:up|down|jump(?:s|ed)?|soar(?:s|ed)?|"
    r"surg(?:e|es|ed)|slump(?:s|ed)?|plung(?:e|es|ed)|tumbl(?:e|es|ed)|sink(?:s)?|sank|"
    r"rall(?:y|ies|ied)|slid(?:e|es)?|fall(?:s)?|fell|ris(?:e|es)|rose|gain(?:s|ed)?|drop(?:s|"
    r"ped)?|doubl(?:e|es|ed)|climb(?:s|ed)?|spik(?:e|es|ed))\b|\b[+-]\d+(?:\.\d+)?% "
    r"(?:premarket|after[- ]hours|pre)|\b(?:up|down) \d+(?:\.\d+)?% (?:premarket|after[- ]hours|"
    r"in early trading)|\bpremarket (?:gainers|losers|movers)|\b(?:biggest|top) (?:movers|"
    r"gainers|losers)\b|\b52-week (?:high|low)\b|\ball-time high\b",
    "management": r"\b(?:CEO|CFO|COO|chairman|chief executive|president|director|board)\b.{0,40}"
    r"\b(?:steps? down|resign(?:s|ed)?|retir(?:e|es|ed|ing)|appoint(?:s|ed)?|nam(?:es|ed)|"
    r"replac(?:e|es|ed)|ousted|fired|to leave|depart(?:s|ure))\b|\b(?:appoints?|names?|hires?)"
    r" (?:\w+ ){0,4}(?:as )?(?:new )?(?:CEO|CFO|COO|chairman|chief|president|director|head)\b",
    "product": r"\b(?:FDA|EMA|regulators?) (?:approv(?:es|ed|al)|clear(?:s|ed|ance)|accept(?:s|ed))"
    r"|\b(?:approval|clearance) (?:for|of)\b|\b(?:phase (?:1|2|3|I|II|III)|clinical trial|"
    r"trial data|study data|topline|data from)\b|\blaunch(?:es|ed)? (?:its |a |new )|\bunveils?\b"
    r"|\bpatents?\b",
    "recall": r"\brecall(?:s|ed|ing)?\b",
    "contract": r"\b(?:wins?|won|awarded|secures?|secured|lands?|signs?|signed) (?:an? |\$[\d.]+"
    r"\s?[MBmb]\w* |multi-year |new |\w+ ){0,3}(?:contract|order|deal|agreement|partnership|"
    r"lease)s?\b|\bpartners? with\b|\border for\b",
    "analyst_rating": r"\bprice targets?\b|\btarget price\b|\b(?:buy|sell|hold|neutral|"
    r"outperform|underperform|overweight|underweight) rating\b|\banalysts? (?:say|says|see|"
    r"expect|think|are)\b|\breiterat(?:es|ed)\b|\bmaintain(?:s|ed)? (?:at )?(?:buy|sell|hold|"
    r"neutral|outperform|overweight)\b",
    "insider": r"\binsiders?\b|\bdirector(?:'s)? (?:dealing|interest|share purchase)|"
    r"\bForm 4\b",
    "ownership": r"\bstake\b|\bsubstantial (?:holder|holding|shareholder)|\bshareholding\b|"
    r"\bhedge funds? (?:are )?(?:buying|selling|dropped|piling|bullish|bearish|warming|"
    r"souring|have|sell|buy|own)|\binstitutions? own\b|\bowns? most of\b|\b13[DFG]\b|"
    r"\bvoting rights\b|\bactivist\b",
    "filing": r"\bForm (?:8\.\d|8-K|10-[KQ]|6-K|20-F|S-1|13[DFG])\b|\bAppendix \d[A-Z]?\b|"
    r"\bprospectus\b|\bannual report\b|\binterim report\b|\btrading halt\b|"
    r"\bsuspension\b|\b(?:exchange|stock exchange) (?:notice|announcement|filing)",
    "shareholder_meeting": r"\b(?:AGM|EGM)\b|\b(?:annual|extraordinary|special) (?:general "
    r"|shareholders'? )?meeting\b|\bshareholders'? meeting\b|\bproxy\b|\bconference call\b|"
    r"\bearnings call\b|\binvestor (?:day|conference|presentation)\b|\bpresents? at\b",
    "dividend": r"\bdividends?\b|\bpayout\b|\bdistribution of \$",
    "buyback": r"\bbuybacks?\b|\b(?:share|stock) repurchase|\brepurchase (?:program|plan)|"
    r"\bbuy back\b",
    "bankruptcy": r"\bbankrupt(?:cy)?\b|\bchapter 11\b|\binsolven|\bdefault(?:s|ed)? on\b|"
    r"\bcreditor protection\b|\bliquidation\b|\breceivership\b",
    "offering": r"\b(?:secondary|public|equity|stock|share|debt|bond|notes|convertible|"
    r"follow-on) offering\b|\bIPO\b|\bprices? (?:\$[\d.]+[MB]? )?(?:offering|IPO|notes)\b|"
    r"\blaunch(?:es)? (?:an? )?(?:\w+ )?offering\b|\bgoes public\b",
}
EVENT_TYPES: tuple[str, ...] = tuple(_EVENTS)

_MACRO: dict[str, str] = {
    "macro:rates": r"\bcentral banks?\b|\bFed\b|\bFederal Reserve\b|\bFOMC\b|\bECB\b|\bBoE\b|"
    r"\bBOJ\b|\bBank of (?:England|Japan|Canada|Korea)\b|\bRBI\b|\bSNB\b|\bRBA\b|\bPBOC\b|"
    r"\binterest rates?\b|\brate (?:cuts?|hikes?|decision)\b|\b(?:cuts?|hikes?|raises?|"
    r"holds?) rates\b|\bPowell\b|\bLagarde\b|\bTreasur(?:y|ies)\b|\b(?:bond|Treasury|"
    r"10-year|two-year|2-year) yields?\b"
    r"|\bmonetary policy\b|\bbasis points\b|\bQE\b|\bquantitative easing\b",
    "macro:inflation": r"\binflation\b|\bCPI\b|\bPPI\b|\bconsumer prices\b|\bdeflation\b|"
    r"\bcost of living\b",
    "macro:growth": r"\bGDP\b|\brecession\b|\bindustrial (?:production|output)\b|\bPMI\b|"
    r"\beconom(?:y|ic growth|ic slowdown)\b|\bretail sales\b|\bconsumer (?:confidence|"
    r"sentiment|spending)\b|\bhousing starts\b|\bhome sales\b|\bstimulus\b",
    "macro:jobs": r"\b(?:non-?farm )?payrolls\b|\bjobless\b|\bunemployment\b|\bjobs (?:report|"
    r"data)\b|\bemployment\b|\blabou?r market\b",
    "macro:trade": r"\btariffs?\b|\btrade (?:war|deal|talks|deficit|surplus|tensions|dispute|"
    r"agreement)\b|\bphase[- ]one\b|\bUSMCA\b|\bBrexit\b|\bsanctions\b",
    "commodity:oil": r"\boil\b|\bcrude\b|\bBrent\b|\bWTI\b|\bOPEC\+?|\bgasoline\b|\bbarrels?\b",
    "commodity:gas": r"\bnatural gas\b|\bLNG\b",
    "commodity:gold": r"\bgold\b|\bbullion\b",
    "commodity:metals": r"\bcopper\b|\bsilver\b|\biron ore\b|\baluminium\b|\baluminum\b|"
    r"\bnickel\b|\blithium\b|\bsteel prices\b",
    "commodity:agri": r"\bwheat\b|\bcorn\b|\bsoybeans?\b|\bcoffee prices\b|\bsugar prices\b",
    "macro:fx": r"\bdollar\b|\beuro\b|\byen\b|\byuan\b|\bsterling\b|\bpound\b|\brupee\b|"
    r"\bcurrenc(?:y|ies)\b|\bforex\b|\bFX\b",
    "macro:equities": r"\bstocks\b|\bWall Street\b|\bDow\b|\bS&P 500\b|\bNasdaq\b|\bFTSE\b|"
    r"\bDAX\b|\bNikkei\b|\bHang Seng\b|\bSensex\b|\bStoxx\b|\bequit(?:y|ies) markets?\b|"
    r"\bstock markets?\b|\bbear market\b|\bbull market\b",
    "macro:crypto": r"\bbitcoin\b|\bcrypto(?:currency|currencies)?\b|\bethereum\b|\bBTC\b",
}

# Country names, demonyms and capitals -> ISO 3166 code (case-sensitive patterns).
_COUNTRIES: dict[str, str] = {
    "US": r"\bU\.S\.(?:A\.)?|\bUS\b(?!\$)|\bUSA\b|\bUnited States\b|\bAmericans?\b|"
    r"(?<!Bank of )\bAmerica\b|"
    r"\bWashington\b|\bWhite House\b|\bTrump\b|\bBiden\b|\bCongress\b|\bWall Street\b",
    "CN": r"\bChina\b|\bChinese\b|\bBeijing\b|\bShanghai\b|\bXi Jinping\b|\bPBOC\b",
    "GB": r"\bU\.K\.|\bUK\b|\bBritain\b|\bBritish\b|\bEngland\b|\bLondon\b|\bBoE\b|"
    r"\bBank of England\b|\bBoris Johnson\b|\bBrexit\b",
    "EU": r"\bEU\b|\bEuropean Union\b|\beuro ?zone\b|\bEurozone\b|\bECB\b|\bBrussels\b",
    "JP": r"\bJapan(?:ese)?\b|\bTokyo\b|\bBOJ\b|\bBank of Japan\b",
    "DE": r"\bGerman(?:y|s)?\b|\bBerlin\b|\bFrankfurt\b|\bBundesbank\b",
    "FR": r"\bFrance\b|\bFrench\b|\bParis\b|\bMacron\b",
    "IT": r"\bItal(?:y|ian)\b|\bRome\b|\bMilan\b",
    "ES": r"\bSpain\b|\bSpanish\b|\bMadrid\b",
    "IN": r"\bIndia(?:n)?\b|\bNew Delhi\b|\bMumbai\b|\bRBI\b|\bModi\b|\bSensex\b|\bNifty\b",
    "RU": r"\bRussia(?:n)?\b|\bMoscow\b|\bKremlin\b|\bPutin\b",
    "BR": r"\bBrazil(?:ian)?\b|\bBrasilia\b|\bSao Paulo\b|\bBolsonaro\b",
    "AR": r"\bArgentin(?:a|e|ian)\b|\bBuenos Aires\b",
    "MX": r"\bMexic(?:o|an)\b",
    "CA": r"\bCanad(?:a|ian)\b|\bOttawa\b|\bToronto\b|\bBank of Canada\b|\bTrudeau\b",
    "AU": r"\bAustralia(?:n)?\b|\bSydney\b|\bRBA\b|\bMorrison\b",
    "KR": r"\bSouth Korea(?:n)?\b|\bSeoul\b|\bBank of Korea\b",
    "HK": r"\bHong Kong\b",
    "TR": r"\bTurk(?:ey|ish)\b|\bTürkiye\b|\bIstanbul\b|\bAnkara\b|\bErdogan\b",
    "SA": r"\bSaudi\b|\bRiyadh\b|\bAramco\b",
    "IR": r"\bIran(?:ian)?\b|\bTehran\b",
    "CH": r"\bSwitzerland\b|\bSwiss\b|\bZurich\b|\bSNB\b",
    "ZA": r"\bSouth Africa(?:n)?\b|\bJohannesburg\b",
    "VE": r"\bVenezuela(?:n)?\b",
    "IL": r"\bIsrael(?:i)?\b",
    "UA": r"\bUkrain(?:e|ian)\b|\bKyiv\b|\bKiev\b",
    "TW": r"\bTaiwan(?:ese)?\b",
    "SG": r"\bSingapore\b",
    "ID": r"\bIndonesia(?:n)?\b",
    "NG": r"\bNigeria(?:n)?\b",
    "KE": r"\bKenya(?:n)?\b",
    "PK": r"\bPakistan(?:i)?\b",
    "GR": r"\bGreece\b|\bGreek\b",
    "NL": r"\bNetherlands\b|\bDutch\b|\bAmsterdam\b",
    "SE": r"\bSweden\b|\bSwedish\b|\bStockholm\b|\bRiksbank\b",
    "NO": r"\bNorway\b|\bNorwegian\b",
    "TH": r"\bThailand\b|\bThai\b",
    "VN": r"\bVietnam(?:ese)?\b",
    "CL": r"\bChile(?:an)?\b",
    "CO": r"\bColombia(?:n)?\b",
    "EG": r"\bEgypt(?:ian)?\b",
    "AE": r"\bUAE\b|\bDubai\b|\bAbu Dhabi\b|\bEmirates\b",
}


@dataclass(frozen=True, slots=True)
class Tag:
    key: str  # event:guidance_cut, macro:rates, country:AR, commodity:oil
    at: int  # character offset of the first match


def _patterns() -> list[tuple[str, str]]:
    """(key, Python regex) for every type; case-insensitive unless a country."""
    out = [(f"event:{name}", f"(?i:{p})") for name, p in _EVENTS.items()]
    out += [(key, f"(?i:{p})") for key, p in _MACRO.items()]
    out += [(f"country:{code}", p) for code, p in _COUNTRIES.items()]
    return out


def _prefilter(pattern: str) -> str:
    """The RE2 form of a pattern: lookarounds dropped (RE2 has none), so it matches at least
    what the Python pattern matches; the Python pattern then confirms."""
    return re.sub(r"\(\?<?[!=][^()]*\)", "", pattern)


@dataclass(frozen=True, slots=True)
class MacroTagger:
    """Every pattern compiled once (``build``) into one RE2 set that scans a text once for
    all of them (~6 µs a headline, where 70 Python searches take ~300 µs); ``tags`` then runs
    only the Python patterns that may match, for their exact match and position."""

    keys: tuple[str, ...]
    exact: tuple[re.Pattern[str], ...]
    candidates: Any  # re2.Set

    @classmethod
    def build(cls) -> MacroTagger:
        import re2

        patterns = _patterns()
        candidates = re2.Set.SearchSet(re2.Options())
        for _, pattern in patterns:
            candidates.Add(_prefilter(pattern))
        candidates.Compile()
        return cls(
            tuple(k for k, _ in patterns),
            tuple(re.compile(p) for _, p in patterns),
            candidates,
        )

    def tags(self, text: str) -> list[Tag]:
        found = []
        for i in sorted(self.candidates.Match(text) or ()):
            m = self.exact[i].search(text)
            if m is not None:
                found.append(Tag(self.keys[i], m.start()))
        # A specific earnings or guidance event makes the generic one redundant.
        keys = {t.key for t in found}
        drop = set()
        if keys & {"event:earnings_beat", "event:earnings_miss"}:
            drop.add("event:earnings")
        if keys & {"event:guidance_raised", "event:guidance_cut"}:
            drop.add("event:guidance")
        if keys & {"event:analyst_upgrade", "event:analyst_downgrade"}:
            drop |= {"event:analyst_initiation", "event:analyst_rating"}
        return [t for t in found if t.key not in drop]


def tags_of(text: str, tagger: MacroTagger) -> list[str]:
    """The keys of ``text``'s events and macro subjects (for tests and scripts)."""
    return [t.key for t in tagger.tags(text)]
