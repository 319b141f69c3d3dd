"""Running a coroutine up to its first wait, and resuming it as a task only if it waits.

The consumer's fetch loop hands each record that takes faust's own path to its stream with
``run_until_blocked(callback(message))``: the usual delivery finishes without waiting, which
saves two tasks and an ``asyncio.wait`` per record; one that waits (full buffers) comes back
as a task the loop can race against a rebalance.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Coroutine, Generator
from typing import Any

__all__ = ["Resumed", "run_until_blocked"]


def run_until_blocked(coro: Awaitable[Any]) -> Awaitable[Any] | None:
    """Run ``coro`` up to its first wait: None if it finished without one (the usual case for
    a delivery, which saves two tasks and an ``asyncio.wait`` per record), else a task that
    finishes it."""
    if not isinstance(coro, Coroutine):
        return coro
    try:
        waiting_on = coro.send(None)
    except StopIteration:
        return None
    return asyncio.ensure_future(Resumed(coro, waiting_on))


class Resumed(Coroutine[Any, Any, Any]):
    """``coro``, already run up to the point where it yielded ``waiting_on``, as a coroutine a
    task can drive on: its first step hands the task that same wait, later steps (and any
    cancellation, even one before the first step) go to ``coro``."""

    def __init__(self, coro: Coroutine[Any, Any, Any], waiting_on: Any) -> None:
        self._coro = coro
        self._first: list[Any] = [waiting_on]

    def send(self, value: Any) -> Any:
        if self._first:
            return self._first.pop()
        return self._coro.send(value)

    def throw(self, typ: Any, val: Any = None, tb: Any = None) -> Any:
        self._first.clear()
        return self._coro.throw(typ if val is None else val)

    def close(self) -> None:
        self._coro.close()

    def __await__(self) -> Generator[Any, Any, Any]:
        value: Any = None
        error: BaseException | None = None
        while True:
            try:
                waiting_on = self.throw(error) if error is not None else self.send(value)
            except StopIteration as done:
                return done.value
            try:
                value, error = (yield waiting_on), None
            except BaseException as exc:  # noqa: BLE001 - passed on to the coroutine
                value, error = None, exc
