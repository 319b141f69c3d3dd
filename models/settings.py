"""The model section of finsentry's settings (``FINSENTRY_MODEL__*``)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

if TYPE_CHECKING:
    from models.serving.runtime import Classifier

__all__ = ["ModelSettings"]


class ModelSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    dir: Path | None = Field(None, description="model directory; None = the shipped model")
    provider: Literal["auto", "cpu", "cuda", "tensorrt"] = "auto"
    variant: Literal["int8", "fp16", "fp32"] | None = Field(
        None, description="None = fp16 on a GPU, int8 on the CPU"
    )
    threads: int | None = Field(
        2,
        ge=1,
        description="CPU inference threads: that many chunks of a batch scored side by side, "
        "one onnxruntime thread each; None = all cores",
    )
    chunk_size: int | None = Field(
        None, ge=1, le=4096, description="texts per ONNX run, length-sorted; None: 8 CPU, 64 GPU"
    )
    cache_dir: Path | None = Field(None, description="where derived GPU graphs are cached")
    registry: Path | None = Field(
        None,
        description="model registry (`finsentry model ...`): serve its current version and "
        "swap when another is promoted; ignored when `dir` is set",
    )
    version: str | None = Field(
        None, description="pin this registry version (no swaps); None = follow the registry"
    )
    watch_s: float = Field(2.0, gt=0, description="how often a worker checks the registry")
    shadow: str | None = Field(
        None, description="a registry version that also scores a share of traffic (metrics only)"
    )
    shadow_share: float = Field(0.1, gt=0, le=1, description="share of records shadow-scored")
    drift_window: int = Field(
        2000, ge=10, description="last scored records per kind the drift PSI is computed over"
    )
    drift_min_records: int = Field(200, ge=1, description="no PSI before this many records")

    @field_validator("dir", "registry", "version", "shadow", "cache_dir", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        """``FINSENTRY_MODEL__DIR=`` (empty) means unset, not the working directory."""
        return None if isinstance(value, str) and not value.strip() else value

    def follows_registry(self) -> bool:
        """True when a worker should watch the registry for promotions."""
        return self.dir is None and self.registry is not None and self.version is None

    def directory(self, version: str | None = None) -> Path | None:
        """The model directory to load: ``dir``, else the registry's ``version`` (or the pinned
        or current one), else None (the shipped model)."""
        if self.dir is not None:
            return self.dir
        if self.registry is not None:
            from models.registry import Registry

            return Registry(self.registry).serving_directory(version or self.version)
        return None

    def load(self, version: str | None = None) -> Classifier:
        from models.serving.runtime import Classifier

        return Classifier.load(
            self.directory(version),
            provider=self.provider,
            variant=self.variant,
            threads=self.threads,
            chunk_size=self.chunk_size,
            cache_dir=self.cache_dir,
        )
