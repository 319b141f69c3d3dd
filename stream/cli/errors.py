"""The one error -> exit-code map of every ``finsentry`` command.

    0    done
    1    done, but some input rows were rejected (``rescore``; ``--allow-errors`` gives 0)
    2    a user-facing error: bad settings, an unreadable input, no broker, a broken model
    130  interrupted (Ctrl-C); the same command continues where it stopped

Errors are printed as one line (``error: what was wrong: what to do``), never a traceback.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from stream.errors import FinsentryError

__all__ = [
    "EXIT_ERROR",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_REJECTS",
    "exit_code",
    "fail",
    "user_errors",
]

EXIT_OK = 0
EXIT_REJECTS = 1
EXIT_ERROR = 2
EXIT_INTERRUPTED = 130

# what a user can fix: their own settings, files and services (OSError: a file they named)
_EXIT_CODES: tuple[tuple[type[BaseException], int], ...] = (
    (FinsentryError, EXIT_ERROR),
    (OSError, EXIT_ERROR),
)

console = Console(stderr=True)
F = TypeVar("F", bound=Callable[..., Any])


def exit_code(exc: BaseException) -> int | None:
    """The exit code of an error a user can fix, or None for a bug (let it raise)."""
    for kind, code in _EXIT_CODES:
        if isinstance(exc, kind):
            return code
    return None


def fail(exc: BaseException) -> typer.Exit:
    """Print ``exc`` as one line and return the exit to raise."""
    console.print(f"[red]error:[/red] {escape(str(exc))}", highlight=False)
    return typer.Exit(exit_code(exc) or EXIT_ERROR)


def user_errors(command: F) -> F:
    """Turn the errors in the map into one printed line and their exit code."""

    @functools.wraps(command)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except (FinsentryError, OSError) as exc:
            raise fail(exc) from exc

    return run  # type: ignore[return-value]
