"""Freed heap memory handed back to the system.

glibc keeps memory freed by the process in its arenas for reuse; after window state is evicted
(whole blobs of packed keys, the states decoded from them, the tombstones sent) much of it is
free but still resident. ``malloc_trim(0)`` returns those pages. Elsewhere (musl, macOS) this
does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
from collections.abc import Callable
from functools import cache

__all__ = ["release_free_memory"]

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
