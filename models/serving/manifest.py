"""``manifest.json``: what a model directory holds, with hashes, and how to check it."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from models.errors import (
    ManifestVersionError,
    ModelIntegrityError,
    ModelNotFoundError,
)

__all__ = ["MANIFEST_NAME", "SCHEMA_VERSION", "Manifest", "sha256_file"]

log = logging.getLogger(__name__)

MANIFEST_NAME = "manifest.json"
SCHEMA_VERSION = 1


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass(frozen=True)
class Manifest:
    """The parsed manifest of one model directory (one encoder, one head per task)."""

    directory: Path
    name: str
    version: str
    tasks: dict[str, dict[str, Any]]
    max_length: int
    tokenizer: str
    heads: str
    opset: int
    files: dict[str, dict[str, Any]]
    variants: dict[str, dict[str, Any]]
    base_model: str = ""
    training: dict[str, Any] = field(default_factory=dict)
    schema_version: int = SCHEMA_VERSION

    @classmethod
    def load(cls, directory: Path) -> Manifest:
        directory = Path(directory)
        path = directory / MANIFEST_NAME
        if not directory.is_dir():
            msg = (
                f"model directory {directory} does not exist: set FINSENTRY_MODEL__DIR to a "
                "directory written by `finsentry export`, or leave it unset for the shipped model"
            )
            raise ModelNotFoundError(msg)
        if not path.is_file():
            msg = f"{directory} has no {MANIFEST_NAME}: it was not written by `finsentry export`"
            raise ModelNotFoundError(msg)
        try:
            raw = orjson.loads(path.read_bytes())
        except orjson.JSONDecodeError as exc:
            msg = f"{path} is not valid JSON ({exc}): restore it or re-run `finsentry export`"
            raise ModelIntegrityError(msg) from exc
        version = raw.get("schema_version")
        if not isinstance(version, int):
            msg = f"{path} has no schema_version: it is not a finsentry manifest"
            raise ModelIntegrityError(msg)
        if version > SCHEMA_VERSION:
            msg = (
                f"{path} uses manifest schema {version}, newer than this finsentry reads "
                f"({SCHEMA_VERSION}): upgrade finsentry, or export the model with this version"
            )
            raise ManifestVersionError(msg)
        try:
            return cls(directory=directory, **{k: v for k, v in raw.items() if k != "directory"})
        except TypeError as exc:
            msg = f"{path} is malformed ({exc}): re-run `finsentry export`"
            raise ModelIntegrityError(msg) from exc

    def path(self, name: str) -> Path:
        return self.directory / name

    def verify(self, names: list[str] | None = None) -> None:
        """Check that each listed file exists and matches its sha256."""
        for name in names if names is not None else list(self.files):
            entry = self.files.get(name)
            if entry is None:
                msg = f"{name} is not listed in {self.directory / MANIFEST_NAME}"
                raise ModelIntegrityError(msg)
            self.verify_file(self.path(name), entry["sha256"])

    @staticmethod
    def verify_file(path: Path, expected: str) -> None:
        if not path.is_file():
            msg = (
                f"model file {path} is missing: restore it (git checkout -- {path}) or "
                "re-run `finsentry export`"
            )
            raise ModelNotFoundError(msg)
        actual = sha256_file(path)
        if actual != expected:
            msg = (
                f"model file {path} is corrupted: sha256 {actual[:12]}… differs from the "
                f"manifest's {expected[:12]}…; restore it or re-run `finsentry export`"
            )
            raise ModelIntegrityError(msg)

    def to_json(self) -> bytes:
        data = {
            "schema_version": self.schema_version,
            "name": self.name,
            "version": self.version,
            "base_model": self.base_model,
            "tasks": self.tasks,
            "max_length": self.max_length,
            "tokenizer": self.tokenizer,
            "heads": self.heads,
            "opset": self.opset,
            "files": self.files,
            "variants": self.variants,
            "training": self.training,
        }
        return orjson.dumps(data, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"

    def write(self) -> Path:
        path = self.directory / MANIFEST_NAME
        path.write_bytes(self.to_json())
        return path
