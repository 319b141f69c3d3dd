"""finsentry's exception root and the model errors (the whole tree: :mod:`stream.errors`).

    FinsentryError                  every error finsentry raises on purpose
     ├── ModelError                 the model half (this module)
     │    ├── ModelNotFoundError    a model directory or file is missing
     │    ├── ModelIntegrityError   a file's sha256 differs from the manifest, or it will not load
     │    ├── ManifestVersionError  the manifest was written by a newer finsentry
     │    ├── UnknownTaskError      a task name the model or this version does not know
     │    ├── TrainingDataError     unreadable training/eval data: missing column, unknown label
     │    ├── ExportGateError       an exported variant disagrees with its reference past tolerance
     │    └── RegistryError         a registry operation that cannot be done (see models.registry)
     └── StreamError                the stream half (:mod:`stream.errors`)

The root lives here, in the lowest layer, so that both halves derive from it without the model
package importing the stream package. Every message says what was wrong and what to do.
"""

from __future__ import annotations

__all__ = [
    "ExportGateError",
    "FinsentryError",
    "ManifestVersionError",
    "ModelError",
    "ModelIntegrityError",
    "ModelNotFoundError",
    "RegistryError",
    "TrainingDataError",
    "UnknownTaskError",
]


class FinsentryError(Exception):
    """Root of every error finsentry raises on purpose (the CLI maps each to an exit code)."""


class ModelError(FinsentryError):
    """Base class of the model package's errors."""


class ModelNotFoundError(ModelError):
    """A model directory, manifest or model file does not exist."""


class ModelIntegrityError(ModelError):
    """A model file is corrupted: its hash differs from the manifest or it does not parse."""


class ManifestVersionError(ModelError):
    """The manifest's schema is newer than this finsentry understands."""


class UnknownTaskError(ModelError):
    """A task name that this version or the loaded model does not have."""


class TrainingDataError(ModelError):
    """Training or evaluation data cannot be used as given."""


class ExportGateError(ModelError):
    """An exported model variant failed its parity or agreement gate."""


class RegistryError(ModelError):
    """A model registry operation that cannot be done: no such version, nothing to roll back."""
