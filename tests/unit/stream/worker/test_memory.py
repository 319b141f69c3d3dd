"""Freed heap pages handed back: glibc's malloc_trim where the allocator has it."""

from __future__ import annotations

import platform

from stream.worker.memory import Trimmer, release_free_memory


def test_freed_memory_is_released_on_glibc():
    blobs = [bytes(200_000) for _ in range(50)]
    del blobs
    assert release_free_memory() is (platform.libc_ver()[0] == "glibc")


def test_the_trimmer_releases_at_most_once_per_interval():
    now = [100.0]
    trim = Trimmer(30.0, clock=lambda: now[0])
    glibc = platform.libc_ver()[0] == "glibc"
    assert trim() is glibc
    now[0] = 129.0
    assert trim() is False
    now[0] = 130.5
    assert trim() is glibc
