"""The dashboard frame: fits 80x24, shows trends, alert ages, and filters and sorts."""

from __future__ import annotations

from rich.console import Console

from stream.top.scrape import Snapshot, SubjectRow, parse
from stream.top.view import Alert, History, ViewOptions, render, sparkline

from .test_scrape import exposition


def _text(renderable, width=80, height=24) -> str:
    console = Console(width=width, height=height, record=True, color_system=None)
    console.print(renderable)
    return console.export_text()


def test_sparklines_scale_to_their_range():
    assert sparkline([-1.0, 0.0, 1.0], -1, 1) == "▁▅█"
    assert sparkline([5.0, -5.0], 0, 1) == "█▁"  # clipped


def test_a_frame_fits_an_80x24_terminal_and_shows_rate_trend_and_alert_age():
    history = History()
    first = parse(exposition(), at=100.0)
    history.update(first)
    second = parse(exposition(), at=102.0)
    second.scored += 50
    second.subjects["ticker:JPM"].pane_mean = 0.9
    history.alerts[("negative_surge", "ticker:JPM")] = Alert(6.2, "2026-11-23T09:34:00+00:00")
    history.update(second)
    for i in range(40):  # more subjects than fit
        second.subjects[f"merchant:m{i}"] = SubjectRow(f"merchant:m{i}", records=float(i))
    text = _text(render(second, history, ViewOptions(height=24), "http://w:9464/metrics"))
    lines = text.rstrip("\n").split("\n")
    assert len(lines) <= 24 and max(len(line) for line in lines) <= 80
    assert "25/s" in text  # 50 more scored in 2 s
    assert "FIRING negative_surge on ticker:JPM  for 2s  value 6.20 at 09:34:00" in text
    assert "ticker:JPM" in text and "▂█" in text  # the pane mean went from -0.8 to +0.9
    assert "m@1/int8 (CPU)" in text and "dead letters 3 (bad_json 2, bad_amount 1)" in text
    assert "25 more" in text  # 42 subjects, 17 shown


def test_filters_and_sorting():
    snap = parse(exposition(), at=1.0)
    history = History()
    history.update(snap)
    only_tickers = _text(render(snap, history, ViewOptions(prefix="ticker:"), "u"))
    assert "ticker:JPM" in only_tickers and "merchant:crypto" not in only_tickers
    transactions = _text(render(snap, history, ViewOptions(kind="transaction"), "u"))
    assert "merchant:crypto" in transactions and "ticker:JPM" not in transactions.split("15m n")[1]
    table = _text(render(snap, history, ViewOptions(sort="name"), "u")).split("15m n")[1]
    assert table.index("merchant:crypto") < table.index("ticker:JPM")
    table = _text(render(snap, history, ViewOptions(sort="records"), "u")).split("15m n")[1]
    assert table.index("ticker:JPM") < table.index("merchant:crypto")  # 40 records vs 12


def test_no_alert_is_said_plainly():
    snap = Snapshot(at=0.0)
    assert "no alert firing" in _text(render(snap, History(), ViewOptions(), "u"))
