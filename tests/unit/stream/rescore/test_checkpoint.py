"""The checkpoint: written atomically, continues only the command that wrote it."""

from __future__ import annotations

import pytest

from stream.errors import CheckpointError
from stream.rescore.checkpoint import Checkpoint, fingerprint


def test_a_saved_checkpoint_loads_back_for_the_same_command_only(tmp_path):
    spec = {"inputs": ["a.jsonl"], "out": "o.jsonl"}
    path = tmp_path / "o.checkpoint.json"
    point = Checkpoint(fingerprint(spec), {"file_index": 1}, {"scored": 120}, {"read": 9}, {}, True)
    point.save(path)
    assert not list(tmp_path.glob("*.tmp"))  # written atomically
    again = Checkpoint.load(path, fingerprint(spec))
    assert again == point
    assert Checkpoint.load(tmp_path / "none.json", "x") is None
    with pytest.raises(CheckpointError, match="different rescore command"):
        Checkpoint.load(path, fingerprint({**spec, "out": "other.jsonl"}))
    assert fingerprint(spec) == fingerprint(dict(reversed(spec.items())))  # order-free


def test_a_damaged_checkpoint_says_to_restart(tmp_path):
    path = tmp_path / "c.json"
    path.write_text("{not json")
    with pytest.raises(CheckpointError, match="--restart"):
        Checkpoint.load(path, "x")
