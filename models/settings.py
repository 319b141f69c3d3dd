"""The model section of finsentry's settings (``FINSENTRY_MODEL__*``)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field

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
    threads: int | None = Field(2, ge=1, description="CPU inference threads; None = all cores")
    chunk_size: int | None = Field(
        None, ge=1, le=4096, description="texts per ONNX run, length-sorted; None: 8 CPU, 64 GPU"
    )
    cache_dir: Path | None = Field(None, description="where derived GPU graphs are cached")

    def load(self) -> Classifier:
        from models.serving.runtime import Classifier

        return Classifier.load(
            self.dir,
            provider=self.provider,
            variant=self.variant,
            threads=self.threads,
            chunk_size=self.chunk_size,
            cache_dir=self.cache_dir,
        )
