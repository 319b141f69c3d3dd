"""Freed heap pages handed back: glibc's malloc_trim where the allocator has it."""

from __future__ import annotations

import platform

from stream.worker.memory import release_free_memory


def test_freed_memory_is_released_on_glibc():
    blobs = [bytes(200_000) for _ in range(50)]
    del blobs
    assert release_free_memory() is (platform.libc_ver()[0] == "glibc")
