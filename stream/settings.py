"""finsentry's one settings object: built once by the CLI from ``FINSENTRY_*`` and passed down."""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from models.settings import ModelSettings

__all__ = ["Settings"]


class Settings(BaseSettings):
    """All settings. Nested sections use ``__``: ``FINSENTRY_MODEL__THREADS=4``."""

    model_config = SettingsConfigDict(
        env_prefix="FINSENTRY_", env_nested_delimiter="__", frozen=True, extra="ignore"
    )

    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    model: ModelSettings = Field(default_factory=ModelSettings)
