"""Freed heap memory handed back to the system.

glibc keeps memory freed by the process in its arenas for reuse; after window state is evicted
(whole blobs of packed keys, the states decoded from them, the tombstones sent) much of it is
free but still resident. ``malloc_trim(0)`` returns those pages; it walks the whole heap, so
``Trimmer`` calls it at most once per interval. Elsewhere (musl, macOS) this does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import time
from collections.abc import Callable
from functools import cache

__all__ = ["Trimmer", "release_free_memory"]

log = logging.getLogger(__name__)


@cache
def _trim() -> Callable[[int], int] | None:
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name)
        trim: Callable[[int], int] = libc.malloc_trim
    except (OSError, AttributeError, TypeError):
        log.debug("malloc_trim is not available: freed memory stays with the allocator")
        return None
    return trim


def release_free_memory() -> bool:
    """Return free heap pages to the system; whether the allocator could."""
    trim = _trim()
    if trim is None:
        return False
    trim(0)
    return True


class Trimmer:
    """``release_free_memory`` at most once per ``interval_s`` (monotonic clock)."""

    def __init__(
        self, interval_s: float = 30.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._interval_s = interval_s
        self._clock = clock
        self._last = -float("inf")

    def __call__(self) -> bool:
        """Whether it released now."""
        now = self._clock()
        if now - self._last < self._interval_s:
            return False
        self._last = now
        return release_free_memory()
