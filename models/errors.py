"""Errors raised by the model package.

    ModelError                      base of everything below
     ├── ModelNotFoundError         a model directory or file is missing
     ├── ModelIntegrityError        a file's sha256 differs from the manifest, or it will not load
     ├── ManifestVersionError       the manifest was written by a newer finsentry
     ├── TrainingDataError          unreadable training/eval data: missing column, unknown label
     └── ExportGateError            an exported variant disagrees with its reference past tolerance

Every message says what was wrong and what to do about it.
"""

from __future__ import annotations

__all__ = [
    "ExportGateError",
    "ManifestVersionError",
    "ModelError",
    "ModelIntegrityError",
    "ModelNotFoundError",
    "TrainingDataError",
]


class ModelError(Exception):
    """Base class of the model package's errors."""


class ModelNotFoundError(ModelError):
    """A model directory, manifest or model file does not exist."""


class ModelIntegrityError(ModelError):
    """A model file is corrupted: its hash differs from the manifest or it does not parse."""


class ManifestVersionError(ModelError):
    """The manifest's schema is newer than this finsentry understands."""


class TrainingDataError(ModelError):
    """Training or evaluation data cannot be used as given."""


class ExportGateError(ModelError):
    """An exported model variant failed its parity or agreement gate."""
