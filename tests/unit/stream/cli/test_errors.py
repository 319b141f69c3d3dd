"""One error map: user errors are one line with their exit code, bugs still raise."""

from __future__ import annotations

import pytest
import typer

from stream.cli.errors import EXIT_ERROR, exit_code, user_errors
from stream.errors import BrokerError, ConfigError, FinsentryError, ModelError, StreamError


def test_every_finsentry_error_and_os_error_maps_to_2_and_bugs_to_nothing():
    for error in (ConfigError("x"), BrokerError("x"), ModelError("x"), FileNotFoundError("x")):
        assert exit_code(error) == EXIT_ERROR
    assert exit_code(KeyError("bug")) is None
    assert issubclass(StreamError, FinsentryError) and issubclass(ModelError, FinsentryError)


def test_a_decorated_command_prints_one_line_and_exits(capsys):
    @user_errors
    def command(x: int) -> int:
        if x:
            raise BrokerError("cannot reach Kafka at k:9092 [topic[0]@5]: check it")
        return 7

    assert command(0) == 7
    with pytest.raises(typer.Exit) as exit_:
        command(1)
    assert exit_.value.exit_code == EXIT_ERROR
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "error: cannot reach Kafka at k:9092 [topic[0]@5]" in err

    @user_errors
    def buggy() -> None:
        raise KeyError("a bug")

    with pytest.raises(KeyError):  # not a user's mistake: the traceback is wanted
        buggy()
