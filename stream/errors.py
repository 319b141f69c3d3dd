"""finsentry's one exception tree. Everything raised on purpose derives from ``FinsentryError``.

    FinsentryError                  root (defined in models.errors, the lowest layer)
     ├── ModelError                 the model half: see models.errors
     │    ├── ModelNotFoundError    a model directory or file is missing
     │    ├── ModelIntegrityError   a file's hash differs from the manifest, or it will not load
     │    ├── ManifestVersionError  the manifest was written by a newer finsentry
     │    ├── UnknownTaskError      a task the model or this version does not know
     │    ├── TrainingDataError     unreadable training/eval data
     │    ├── ExportGateError       an exported variant failed its parity gate
     │    └── RegistryError         a model registry operation that cannot be done
     └── StreamError                the stream half (this module)
          ├── ConfigError           a settings value, rules file or watchlist cannot be used
          ├── BrokerError           the Kafka broker cannot be reached or started
          ├── InputError            a re-scoring input (file, format, Kafka range) cannot be read
          ├── CheckpointError       a re-scoring checkpoint belongs to another command
          ├── OutputError           an output record cannot be published (too large, ...)
          └── DependencyError       a pinned dependency (faust) is not the version we patch

Bad records are not errors: parsing returns ``Rejected`` values that go to the dead-letter
topic. Every message says what was wrong and what to do; ``stream.cli.errors`` maps each class
to the command's exit code.
"""

from __future__ import annotations

from models.errors import (
    ExportGateError,
    FinsentryError,
    ManifestVersionError,
    ModelError,
    ModelIntegrityError,
    ModelNotFoundError,
    RegistryError,
    TrainingDataError,
    UnknownTaskError,
)

__all__ = [
    "BrokerError",
    "CheckpointError",
    "ConfigError",
    "DependencyError",
    "ExportGateError",
    "FinsentryError",
    "InputError",
    "ManifestVersionError",
    "ModelError",
    "ModelIntegrityError",
    "ModelNotFoundError",
    "OutputError",
    "RegistryError",
    "StreamError",
    "TrainingDataError",
    "UnknownTaskError",
]


class StreamError(FinsentryError):
    """Base class of the stream package's errors."""


class ConfigError(StreamError):
    """A settings value, rules file or watchlist file is invalid."""


class BrokerError(StreamError):
    """The Kafka broker is unreachable, or the embedded one failed to start."""


class InputError(StreamError):
    """A re-scoring input (file, format, Kafka range) cannot be read."""


class CheckpointError(StreamError):
    """A re-scoring checkpoint belongs to another command or cannot be used."""


class OutputError(StreamError):
    """An output record cannot be published as it is (e.g. larger than a producer batch)."""


class DependencyError(StreamError):
    """An installed dependency is not the version whose internals finsentry relies on."""
