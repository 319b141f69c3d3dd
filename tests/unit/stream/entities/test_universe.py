import pytest

from stream.entities.sectors import SECTORS
from stream.entities.universe import Universe, aliases_of, strip_legal
from stream.errors import ConfigError


@pytest.fixture(scope="module")
def base():
    return Universe.load(None, None)


def test_the_built_in_universe_covers_the_major_indices(base):
    assert len(base) > 1700
    for ticker in ("AAPL", "JPM", "SIE.DE", "7203.T", "HSBA.L", "MC.PA"):
        assert ticker in base.companies
    assert base.sector("JPM") == "financials"
    assert base.sector("XOM") == "energy"
    assert {c.sector for c in base.companies.values()} <= {*SECTORS, None}


def test_legal_suffixes_are_stripped_into_aliases():
    assert strip_legal("Target Corporation") == "Target"
    assert strip_legal("The Goldman Sachs Group, Inc.") == "Goldman Sachs"
    assert strip_legal("Carnival Corporation & plc") == "Carnival"
    assert aliases_of("Shell plc") == ("Shell plc", "Shell")


def test_unique_first_words_become_aliases_but_shared_or_english_ones_do_not(base):
    assert base.companies["GS"].short_names == ("Goldman",)
    deutsche = [c for c in base.companies.values() if c.name.startswith("Deutsche ")]
    assert len(deutsche) > 1 and not any(c.short_names for c in deutsche)
    assert not base.companies["DAL"].short_names  # "Delta" is an English word


def test_quarters_and_tiny_names_are_not_aliases():
    assert aliases_of("Q2 Holdings") == ("Q2 Holdings",)
    assert aliases_of("BP p.l.c.") == ("BP p.l.c.", "BP")


def test_the_watchlist_adds_names_overrides_sectors_and_adds_companies(base, tmp_path):
    path = tmp_path / "w.toml"
    path.write_text(
        '[[companies]]\nticker = "GOOGL"\nnames = ["Google"]\nsector = "communication_services"\n'
        '[[companies]]\nticker = "$acme"\nnames = ["Acme Rockets Inc."]\nlistings = ["NYSE:ACME"]\n'
    )
    merged = Universe.load(None, path)
    assert "Google" in merged.companies["GOOGL"].aliases
    assert "Alphabet" in merged.companies["GOOGL"].aliases
    assert merged.sector("GOOGL") == "communication_services"
    assert merged.companies["ACME"].aliases == ("Acme Rockets Inc.", "Acme Rockets")
    assert merged.watched == {"GOOGL", "ACME"}


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("[[companies]\n", "cannot be read"),
        ('[[companies]]\nnames = ["X"]\n', "entry #1 has no ticker"),
        ('[[companies]]\nticker = "X"\nsector = "banks"\n', "unknown sector 'banks'; use one of"),
        ('[[companies]]\nticker = "X"\nnames = "X"\n', "names must be a list"),
        ('[[companies]]\nticker = "X"\nlistings = ["X"]\n', "listings must be a list like"),
        (
            '[[companies]]\nticker = "X"\nsector = "energy"\n'
            '[[companies]]\nticker = "x"\nsector = "utilities"\n',
            "ticker X is in entry #1 with sector 'energy' and in entry #2 with 'utilities'",
        ),
    ],
)
def test_bad_files_name_the_entry_and_what_to_do(tmp_path, text, says):
    path = tmp_path / "w.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=says.replace("[", r"\[").replace("(", r"\(")) as err:
        Universe.load(None, path)
    assert str(path) in str(err.value) and "\n" not in str(err.value)


def test_a_missing_universe_file_names_the_variable(tmp_path):
    with pytest.raises(ConfigError, match="FINSENTRY_ENTITIES__UNIVERSE_FILE"):
        Universe.load(tmp_path / "missing.toml", None)


def test_the_same_ticker_twice_with_the_same_sector_merges(tmp_path):
    path = tmp_path / "u.toml"
    path.write_text(
        '[[companies]]\nticker = "X"\nnames = ["Xco"]\nsector = "energy"\n'
        '[[companies]]\nticker = "X"\nnames = ["X Energy"]\nsector = "energy"\n'
    )
    universe = Universe.load(path, None)
    assert set(universe.companies["X"].aliases) == {"Xco", "X Energy"}
