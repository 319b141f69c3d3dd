from stream.entities.sectors import SECTORS, sector_of


def test_free_text_industries_map_onto_the_taxonomy():
    assert sector_of(["Banking Services", "Banks"]) == "financials"
    assert sector_of(["Semiconductors & Semiconductor Equipment"]) == "information_technology"
    assert sector_of(["Residential & Commercial RETIs", "Real estate investment trust"]) == (
        "real_estate"
    )
    assert sector_of(["Immobilien"]) == "real_estate"
    assert sector_of(["Oil & Gas"]) == "energy"


def test_most_votes_win_over_rule_order():
    tesla = ["Auto & Truck Manufacturers", "Automobiles & Auto Parts", "Renewable energy"]
    assert sector_of(tesla) == "consumer_discretionary"


def test_unknown_industries_have_no_sector():
    assert sector_of(["Services"]) is None
    assert sector_of([]) is None
    assert len(SECTORS) == 11
