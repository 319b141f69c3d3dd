"""Single-key commands while the dashboard runs on a terminal.

    s  sort: records, mean, share, name      p  prefix: all, ticker:, sector:, event:, macro:,
                                                merchant:, counterparty_country:
    k  kind: all, news, transaction           q  quit

The terminal is put in cbreak mode (keys arrive without Enter, Ctrl-C still interrupts) only
while the dashboard runs, and restored after, whatever happens.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import queue
import sys
import threading
from types import TracebackType
from typing import IO, Any

from stream.top.view import ViewOptions

__all__ = ["HELP", "KEYS", "Keys", "apply_key"]

SORTS = ("records", "mean", "share", "name")
PREFIXES = ("", "ticker:", "sector:", "event:", "macro:", "merchant:", "counterparty_country:")
KINDS = (None, "news", "transaction")
KEYS = frozenset("spkq")
HELP = "keys: s sort  p prefix  k kind  q quit"


def _next(values: tuple[Any, ...], current: Any) -> Any:
    return values[(values.index(current) + 1) % len(values)] if current in values else values[0]


def apply_key(options: ViewOptions, key: str) -> ViewOptions:
    """The view after ``key`` (unknown keys change nothing; ``q`` is the caller's)."""
    if key == "s":
        return dataclasses.replace(options, sort=_next(SORTS, options.sort))
    if key == "p":
        return dataclasses.replace(options, prefix=_next(PREFIXES, options.prefix))
    if key == "k":
        return dataclasses.replace(options, kind=_next(KINDS, options.kind))
    return options


class Keys:
    """``with Keys() as keys: keys.pending()`` — the keys typed since the last call."""

    def __init__(self, stream: IO[str] | None = None) -> None:
        self._stream = stream if stream is not None else sys.stdin
        self._queue: queue.Queue[str] = queue.Queue()
        self._saved: Any = None
        self.active = False

    def __enter__(self) -> Keys:
        try:
            fd = self._stream.fileno()
            if not os.isatty(fd):
                return self
            import termios
            import tty

            self._saved = termios.tcgetattr(fd)
            tty.setcbreak(fd)
        except (OSError, ValueError, ImportError, AttributeError):
            return self  # not a terminal (a pipe, a test): no keys, the dashboard still runs
        self.active = True
        threading.Thread(
            target=self._read, args=(fd,), name="finsentry-top-keys", daemon=True
        ).start()
        return self

    def _read(self, fd: int) -> None:
        while self.active:
            try:
                data = os.read(fd, 1)
            except OSError:
                return
            if not data:
                return
            self._queue.put(data.decode(errors="ignore"))

    def pending(self) -> list[str]:
        keys = []
        while True:
            try:
                keys.append(self._queue.get_nowait())
            except queue.Empty:
                return keys

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.active = False
        if self._saved is not None:
            import termios

            with contextlib.suppress(OSError, ValueError):
                termios.tcsetattr(self._stream.fileno(), termios.TCSADRAIN, self._saved)
