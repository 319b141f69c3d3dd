"""One fixed sector taxonomy (the eleven GICS sectors) and the mapping onto it.

pytickersymbols describes each company by free-text industries ("Banking Services",
"Semiconductors & Semiconductor Equipment", "Immobilien", ...): over a thousand spellings.
``sector_of`` maps them onto the taxonomy by ordered keyword rules: each industry votes for the
first rule it matches and the sector with most votes wins (ties: the earlier rule), so Tesla's
three automotive industries outvote its "Renewable energy".
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["SECTORS", "sector_of"]

SECTORS: tuple[str, ...] = (
    "communication_services",
    "consumer_discretionary",
    "consumer_staples",
    "energy",
    "financials",
    "health_care",
    "industrials",
    "information_technology",
    "materials",
    "real_estate",
    "utilities",
)

# Ordered: specific phrases before the generic words they contain ("real estate investment
# trust" before "investment", "semiconductor" before "equipment", "oil" before "services").
_RULES: tuple[tuple[str, str], ...] = (
    (
        r"real estate|reit|immobilien|property|properties|homebuilding|home construction",
        "real_estate",
    ),
    (r"utilit|electric utility|power generation|water|gas distribution|renewable|ipp", "utilities"),
    (r"oil|gas|petroleum|fossil|energy|coal|refin", "energy"),
    (
        r"bank|financ|insurance|invest|asset management|brokerage|capital markets|exchange|"
        r"credit|payment|fund|private equity|beteiligung|holding",
        "financials",
    ),
    (r"pharma|biotech|health|medical|drug|life science|hospital|diagnostic", "health_care"),
    (
        r"semiconductor|software|information technology|it services|technology|computer|"
        r"electronic|elektronik|technologie|it-dienst|it and consulting|internet services|edp|"
        r"cloud|hardware|iot",
        "information_technology",
    ),
    (
        r"telecom|communication|media|broadcast|publishing|entertainment|interactive|"
        r"wireless|cable|medien|video games|advertising|werbung|market research|"
        r"marktforschung",
        "communication_services",
    ),
    (
        r"chemic|material|metal|mining|mineral|steel|paper|packaging|glass|ceramic|"
        r"container|construction materials|nonferrous|gold|applied resources|chemie|zement|cement",
        "materials",
    ),
    (
        r"food|beverage|drink|tobacco|household|personal products|consumer staples|"
        r"consumer non-cyclical|consumer defensive|drug retail|supermarket|brewer|agricultur|"
        r"getränke|cosmetic|fragrance|riechstoff",
        "consumer_staples",
    ),
    (
        r"retail|automo|auto|vehicle|apparel|textile|hotel|restaurant|leisure|tourism|"
        r"consumer discretionary|consumer cyclical|cyclical consumer|e-commerce|luxury|"
        r"hospitality|homebuild|casino|consumer goods|education|lottery|glücksspiel|freizeit|"
        r"travel|fashion|sports|apparel|clothing|footwear",
        "consumer_discretionary",
    ),
    (
        r"industr|aerospace|defen|machinery|engineering|construction|transport|logistic|"
        r"airline|aviation|rail|shipping|freight|electrical|conglomerate|manufactur|"
        r"commercial services|professional services|support services|business services|"
        r"waste|trading compan|precision|luftfahrt|logistik|mobilität|consulting|beratung|"
        r"inspection|personnel|ingenieur|dienstleistung|security|ordnance",
        "industrials",
    ),
)
_COMPILED = tuple((re.compile(pattern, re.IGNORECASE), sector) for pattern, sector in _RULES)


def sector_of(industries: Iterable[str]) -> str | None:
    """The taxonomy sector for a company's industries (``None`` when nothing matches)."""
    votes: dict[str, int] = {}
    for name in industries:
        for rank, (pattern, sector) in enumerate(_COMPILED):
            if name and pattern.search(name):
                votes[sector] = votes.get(sector, 0) + len(_COMPILED) * 100 - rank
                break
    return max(votes, key=votes.__getitem__) if votes else None
