"""The root command: one registry holding every command; bad settings are one line."""

from __future__ import annotations

from typer.testing import CliRunner

from stream.cli import app


def test_every_command_hangs_off_the_one_root():
    runner = CliRunner()
    out = runner.invoke(app, ["--help"]).output
    for command in ("demo", "worker", "produce", "tail", "rescore", "dashboards", "train",
                    "sweep", "export", "eval", "score", "bench"):  # fmt: skip
        assert command in out
    bench = runner.invoke(app, ["bench", "--help"]).output
    assert all(name in bench for name in ("model", "stream", "rescore"))


def test_an_invalid_setting_names_the_variable_and_the_allowed_values():
    result = CliRunner().invoke(
        app, ["score", "x"], env={"FINSENTRY_KAFKA__SECURITY_PROTOCOL": "BOGUS"}
    )
    assert result.exit_code == 2
    assert "FINSENTRY_KAFKA__SECURITY_PROTOCOL" in result.output
    assert "PLAINTEXT" in result.output and "Traceback" not in result.output


def test_a_watchlist_naming_a_ticker_twice_is_one_line_at_start(tmp_path):
    watchlist = tmp_path / "watchlist.toml"
    watchlist.write_text(
        '[[companies]]\nticker = "ACME"\nsector = "energy"\n'
        '[[companies]]\nticker = "ACME"\nsector = "utilities"\n'
    )
    news = tmp_path / "news.jsonl"
    news.write_text('{"id": "1", "published_at": "2026-01-01T00:00:00Z", "source": "s", '
                    '"headline": "Acme beats"}\n')  # fmt: skip
    result = CliRunner().invoke(
        app,
        ["rescore", str(news), "-o", str(tmp_path / "out.jsonl")],
        env={"FINSENTRY_ALERTS__WATCHLIST_FILE": str(watchlist)},
    )
    assert result.exit_code == 2
    assert "Traceback" not in result.output and result.output.count("error:") == 1
    said = " ".join(result.output.split("error:")[1].split())  # one line, wrapped to 80
    assert "ticker ACME is in entry #1 with sector 'energy' and in entry #2" in said
    assert "keep one entry" in said
