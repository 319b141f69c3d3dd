"""Single-key commands: each key cycles one view setting; no terminal, no keys."""

from __future__ import annotations

import io
import os

from stream.top.keys import Keys, apply_key
from stream.top.view import ViewOptions


def test_keys_cycle_sort_prefix_and_kind_and_leave_the_rest():
    options = ViewOptions()
    assert apply_key(options, "s").sort == "mean"
    assert apply_key(apply_key(options, "s"), "s").sort == "share"
    prefixes = []
    for _ in range(8):
        options = apply_key(options, "p")
        prefixes.append(options.prefix)
    assert prefixes == [
        "ticker:", "sector:", "event:", "macro:", "merchant:", "counterparty_country:", "",
        "ticker:",
    ]  # fmt: skip
    assert apply_key(ViewOptions(), "k").kind == "news"
    assert apply_key(ViewOptions(kind="transaction"), "k").kind is None
    assert apply_key(options, "x") == options


def test_without_a_terminal_no_key_is_read_and_nothing_breaks():
    read, write = os.pipe()
    with os.fdopen(read) as pipe, Keys(pipe) as keys:
        os.write(write, b"q")
        assert not keys.active and keys.pending() == []
    os.close(write)
    with Keys(io.StringIO()) as keys:  # no file descriptor at all
        assert not keys.active
