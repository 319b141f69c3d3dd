"""Errors raised by the stream package.

    StreamError                 base of everything below
     ├── ConfigError            a settings value, rules file or watchlist cannot be used
     ├── BrokerError            the Kafka broker cannot be reached or started
     ├── InputError             a re-scoring input (file, format, Kafka range) cannot be read
     └── CheckpointError        a re-scoring checkpoint belongs to another command

Bad records are not errors: parsing returns ``Rejected`` values that go to the dead-letter
topic. Every message says what was wrong and what to do.
"""

from __future__ import annotations

__all__ = ["BrokerError", "CheckpointError", "ConfigError", "InputError", "StreamError"]


class StreamError(Exception):
    """Base class of the stream package's errors."""


class ConfigError(StreamError):
    """A settings value, rules file or watchlist file is invalid."""


class BrokerError(StreamError):
    """The Kafka broker is unreachable, or the embedded one failed to start."""


class InputError(StreamError):
    """A re-scoring input (file, format, Kafka range) cannot be read."""


class CheckpointError(StreamError):
    """A re-scoring checkpoint belongs to another command or cannot be used."""
