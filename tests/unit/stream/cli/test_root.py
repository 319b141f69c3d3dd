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
