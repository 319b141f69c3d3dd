"""The re-scoring checkpoint: where the input stands, how far each output got, and the
running state (counts, comparison, backtest windows), written atomically after each flush."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from stream.errors import CheckpointError

__all__ = ["Checkpoint", "fingerprint"]

VERSION = 1


def fingerprint(spec: dict[str, Any]) -> str:
    """Identity of a command: a checkpoint continues only the command that wrote it."""
    return hashlib.sha256(orjson.dumps(spec, option=orjson.OPT_SORT_KEYS)).hexdigest()[:16]


@dataclass(slots=True)
class Checkpoint:
    fingerprint: str
    position: dict[str, Any] = field(default_factory=dict)
    sinks: dict[str, Any] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    state: dict[str, Any] = field(default_factory=dict)  # compare / backtest / kafka ranges
    complete: bool = False

    @classmethod
    def load(cls, path: Path, expected: str) -> Checkpoint | None:
        if not path.exists():
            return None
        try:
            raw = orjson.loads(path.read_bytes())
            if raw.get("version") != VERSION:
                msg = f"version {raw.get('version')}"
                raise ValueError(msg)
            point = cls(
                raw["fingerprint"],
                raw["position"],
                raw["sinks"],
                raw["counts"],
                raw["state"],
                raw["complete"],
            )
        except (OSError, ValueError, KeyError, TypeError) as exc:
            msg = (
                f"checkpoint {path} cannot be used ({exc}): delete it or pass --restart to "
                "start over"
            )
            raise CheckpointError(msg) from exc
        if point.fingerprint != expected:
            msg = (
                f"checkpoint {path} was written by a different rescore command (other inputs, "
                "outputs, model or options): re-run that command, pass --checkpoint elsewhere, "
                "or --restart to start over"
            )
            raise CheckpointError(msg)
        return point

    def save(self, path: Path) -> None:
        raw = {
            "version": VERSION,
            "fingerprint": self.fingerprint,
            "position": self.position,
            "sinks": self.sinks,
            "counts": self.counts,
            "state": self.state,
            "complete": self.complete,
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_bytes(orjson.dumps(raw))
        with tmp.open("rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
