"""The model registry: one directory per version, and a pointer to the one that serves.

::

    REGISTRY/
      versions/<version>/    a directory written by ``finsentry export`` (manifest + files)
      current.json           {"version": ..., "history": [older versions, newest first]}

``finsentry model add DIR`` copies an exported directory in (under its manifest version),
``promote VERSION`` checks it (manifest, every file's hash, and whatever check the caller
passes, e.g. that it scores) and then moves the pointer; ``rollback`` moves it back to the
version before. The pointer changes by an atomic rename, so a reader sees the old or the new
version, never half a file. Running workers watch the pointer (``stream.worker.model``).
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import orjson

from models.errors import ModelIntegrityError, ModelNotFoundError, RegistryError
from models.serving.manifest import Manifest

__all__ = ["Registry", "RegistryVersion", "derive_version"]

POINTER = "current.json"
_VERSION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+@-]{0,127}$")


@dataclass(frozen=True)
class RegistryVersion:
    version: str
    directory: Path
    created: datetime
    current: bool
    variants: tuple[str, ...]


class Registry:
    """A registry directory (created on first ``add``)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    @property
    def versions_dir(self) -> Path:
        return self.root / "versions"

    # -- reading ---------------------------------------------------------------------------
    def pointer(self) -> dict[str, object]:
        path = self.root / POINTER
        if not path.is_file():
            return {"version": None, "history": []}
        try:
            raw = orjson.loads(path.read_bytes())
        except orjson.JSONDecodeError as exc:
            msg = f"{path} is not valid JSON ({exc}): run `finsentry model promote VERSION`"
            raise RegistryError(msg) from exc
        if not isinstance(raw, dict):
            msg = f"{path} is not a registry pointer: run `finsentry model promote VERSION`"
            raise RegistryError(msg)
        return raw

    def current(self) -> str | None:
        """The version that serves, or None when nothing was promoted yet."""
        version = self.pointer().get("version")
        return str(version) if version else None

    def history(self) -> list[str]:
        return [str(v) for v in self.pointer().get("history") or []]  # type: ignore[attr-defined]

    def directory(self, version: str) -> Path:
        """The directory of ``version``; raises when the registry does not hold it."""
        path = self.versions_dir / _checked(version)
        if not path.is_dir():
            have = ", ".join(v.version for v in self.versions()) or "none"
            msg = (
                f"model registry {self.root} has no version {version!r} (it has: {have}); "
                "add one with `finsentry model add DIR`"
            )
            raise ModelNotFoundError(msg)
        return path

    def serving_directory(self, pinned: str | None = None) -> Path:
        """The directory to load: ``pinned`` if given, else the current version."""
        version = pinned or self.current()
        if version is None:
            msg = (
                f"model registry {self.root} has no current version: "
                "run `finsentry model promote VERSION` (see `finsentry model list`)"
            )
            raise ModelNotFoundError(msg)
        return self.directory(version)

    def versions(self) -> list[RegistryVersion]:
        if not self.versions_dir.is_dir():
            return []
        current = self.current()
        out = []
        for path in sorted(self.versions_dir.iterdir()):
            if not path.is_dir() or path.name.startswith("."):
                continue
            try:
                manifest = Manifest.load(path)
                variants = tuple(sorted(manifest.variants))
            except (ModelNotFoundError, ModelIntegrityError):
                variants = ()
            created = datetime.fromtimestamp(path.stat().st_mtime, UTC)
            out.append(RegistryVersion(path.name, path, created, path.name == current, variants))
        return sorted(out, key=lambda v: v.created)

    # -- changing --------------------------------------------------------------------------
    def add(self, source: Path) -> str:
        """Copy an exported model directory in, under its manifest's version; returns it."""
        manifest = Manifest.load(source)
        manifest.verify()
        version = _checked(manifest.version)
        target = self.versions_dir / version
        if target.exists():
            msg = (
                f"model registry {self.root} already holds {version}: versions are immutable, "
                "export the new model under a new version"
            )
            raise RegistryError(msg)
        self.versions_dir.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".adding-", dir=self.versions_dir))
        try:
            for name in [*manifest.files, "manifest.json"]:
                dest = staging / name
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(manifest.path(name), dest)
            for extra in source.iterdir():  # model card, reliability diagrams
                if extra.is_file() and not (staging / extra.name).exists():
                    shutil.copy2(extra, staging / extra.name)
            Manifest.load(staging).verify()
            staging.rename(target)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return version

    def promote(self, version: str, check: Callable[[Path], None] | None = None) -> str | None:
        """Make ``version`` current after verifying it; returns the version it replaced.

        ``check(directory)`` may refuse it by raising (the CLI loads it and scores probes).
        """
        directory = self.directory(version)
        manifest = Manifest.load(directory)
        manifest.verify()
        if check is not None:
            check(directory)
        previous = self.current()
        if previous == version:
            return previous
        history = [previous, *self.history()] if previous else self.history()
        self._write_pointer(version, [v for v in history if v != version][:50])
        return previous

    def rollback(self) -> tuple[str, str]:
        """Point back at the version before the current one; returns (from, to)."""
        current = self.current()
        history = self.history()
        if current is None or not history:
            msg = f"model registry {self.root} has no earlier version to roll back to"
            raise RegistryError(msg)
        target = history[0]
        self.directory(target)  # still there
        self._write_pointer(target, history[1:])
        return current, target

    def _write_pointer(self, version: str, history: list[str]) -> None:
        body = {
            "version": version,
            "history": history,
            "changed_at": datetime.now(UTC).isoformat(),
        }
        self.root.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".current-", dir=self.root)
        with os.fdopen(fd, "wb") as fh:
            fh.write(orjson.dumps(body, option=orjson.OPT_INDENT_2) + b"\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.root / POINTER)


def derive_version(
    source: Path, target: Path, version: str, temperatures: dict[str, float] | None = None
) -> Path:
    """A copy of a model directory under another version, optionally with other calibration
    temperatures (a re-calibrated model is a new version). The benchmarks use it to time a
    swap between two versions of the same cost."""
    shutil.copytree(source, target)
    manifest = Manifest.load(target)
    tasks = {name: dict(spec) for name, spec in manifest.tasks.items()}
    for name, temperature in (temperatures or {}).items():
        tasks[name]["temperature"] = temperature
    replace(manifest, version=_checked(version), tasks=tasks).write()
    return target


def _checked(version: str) -> str:
    if not _VERSION.match(version) or ".." in version:
        msg = f"{version!r} is not a model version name (letters, digits and . _ + @ -)"
        raise RegistryError(msg)
    return version
