"""Choosing where the encoder runs: CUDA fp16 when it loads (or as asked), else CPU int8.

The graph of each variant comes from :mod:`models.serving.variants`; the choice is logged once,
in words, by the runtime.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from models.errors import ModelError, ModelIntegrityError
from models.serving.manifest import Manifest
from models.serving.variants import Variant, materialise_variant

__all__ = [
    "Provider",
    "ProviderChoice",
    "Variant",
    "choose_session",
    "cpu_session",
    "gpu_usable",
    "open_session",
    "session_options",
]

log = logging.getLogger(__name__)

Provider = Literal["auto", "cpu", "cuda", "tensorrt"]
_CUDA = "CUDAExecutionProvider"
_TRT = "TensorrtExecutionProvider"
_CPU = "CPUExecutionProvider"


@dataclass(frozen=True, slots=True)
class ProviderChoice:
    session: Any  # onnxruntime.InferenceSession
    variant: Variant
    provider: str
    reason: str
    # runs of the session side by side (CPU: one intra-op thread each, see cpu_session)
    workers: int = 1


def session_options(threads: int | None) -> Any:
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    if threads:
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
    opts.log_severity_level = 3  # the CUDA-missing warning is reported by us, once, in words
    # Memory patterns are planned and kept per input shape; batches of every size and padded
    # length would add one plan after another for as long as the worker runs.
    opts.enable_mem_pattern = False
    return opts


def cpu_session(path: Path, threads: int | None) -> tuple[Any, int]:
    """A CPU session of one intra-op thread, and how many runs of it go side by side.

    The runtime cuts a batch into length-sorted chunks; on the CPU ``threads`` chunks running
    at once, one thread each, beat one chunk at a time on ``threads`` intra-op threads: a
    headline is a few hundred small operators, and splitting each of them across threads
    costs more in hand-offs than it gains (``finsentry bench model``: ~1.45x at batch 32 on
    2 cores). ``None`` means every core.
    """
    import os

    workers = threads or os.cpu_count() or 1
    return open_session(path, session_options(1), [_CPU]), workers


def _preload_nvidia_libraries(ort: Any) -> None:
    """Load CUDA/cuDNN from the NVIDIA pip wheels when they are installed (quietly otherwise)."""
    import contextlib
    import importlib.util
    import io

    preload = getattr(ort, "preload_dlls", None)
    if preload is None or importlib.util.find_spec("nvidia") is None:
        return
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        try:
            preload()
        except Exception as exc:  # noqa: BLE001 - a missing library just means no GPU
            log.debug("preload_dlls failed: %s", exc)


def gpu_usable(manifest: Manifest, threads: int | None) -> tuple[bool, str]:
    import onnxruntime as ort

    if _CUDA not in ort.get_available_providers():
        return False, "this onnxruntime build has no CUDA provider"
    _preload_nvidia_libraries(ort)
    ort.set_default_logger_severity(4)  # the failed-CUDA message is reported by us, in words
    try:
        probe = open_session(
            manifest.path(manifest.variants["int8"]["file"]),
            session_options(threads),
            [_CUDA, _CPU],
        )
    finally:
        ort.set_default_logger_severity(2)
    if probe.get_providers()[0] != _CUDA:
        return False, "the CUDA provider did not load (no GPU, or CUDA 13 / cuDNN 9 missing)"
    return True, "a CUDA GPU is available"


def open_session(path: Path, options: Any, providers: list[Any]) -> Any:
    """An onnxruntime session, or a ``ModelIntegrityError`` saying which file does not load."""
    import onnxruntime as ort

    try:
        return ort.InferenceSession(str(path), options, providers=providers)
    except Exception as exc:
        first = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
        msg = (
            f"model file {path} does not load ({first}): restore it (git checkout -- {path}) "
            "or re-run `finsentry export`"
        )
        raise ModelIntegrityError(msg) from exc


def choose_session(
    manifest: Manifest,
    *,
    provider: Provider = "auto",
    variant: Variant | None = None,
    threads: int | None = None,
    cache_dir: Path | None = None,
) -> ProviderChoice:
    """Create the inference session: CUDA fp16 when it loads (or as asked), else CPU int8."""

    if provider == "cpu":
        want_gpu, reason = False, "the CPU provider was asked for"
    elif provider == "auto" and variant == "int8":
        want_gpu, reason = False, "the int8 variant was asked for (a CPU variant)"
    elif provider == "auto":
        want_gpu, reason = gpu_usable(manifest, threads)
    else:
        want_gpu, reason = True, f"the {provider} provider was asked for"
    if want_gpu:
        chosen: Variant = variant or "fp16"
        path = materialise_variant(manifest, chosen, cache_dir)
        providers: list[Any] = [_CUDA, _CPU]
        if provider == "tensorrt":
            providers.insert(0, (_TRT, {"trt_fp16_enable": True}))
        session = open_session(path, session_options(threads), providers)
        active = session.get_providers()[0]
        if active == _CPU:
            msg = (
                f"asked for {provider} but onnxruntime fell back to the CPU: install CUDA 13 "
                "and cuDNN 9 (e.g. the nvidia-*-cu13 wheels) or set FINSENTRY_MODEL__PROVIDER=cpu"
            )
            raise ModelError(msg)
        return ProviderChoice(session, chosen, active, reason)
    chosen = variant or "int8"
    session, workers = cpu_session(materialise_variant(manifest, chosen, cache_dir), threads)
    return ProviderChoice(session, chosen, _CPU, reason, workers)
