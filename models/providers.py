"""Choosing where the encoder runs, and materialising the graph each variant needs.

CPU serves the shipped int8 graph. A GPU serves fp16, rebuilt from the int8 graph on first
use and cached on disk under the hash of its source; the manifest records the hash the
rebuild must produce, so a stale or tampered cache is never used.
"""

from __future__ import annotations

import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from models.errors import ModelError, ModelIntegrityError, ModelNotFoundError
from models.manifest import Manifest, sha256_file

__all__ = ["ProviderChoice", "Variant", "choose_session", "materialise_variant"]

log = logging.getLogger(__name__)

Variant = Literal["int8", "fp16", "fp32"]
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


def default_cache_dir() -> Path:
    return Path(tempfile.gettempdir()) / "finsentry-model-cache"


def materialise_variant(manifest: Manifest, variant: Variant, cache_dir: Path | None) -> Path:
    """Path of the ONNX graph for ``variant``: shipped, or rebuilt from int8 and cached."""
    spec = manifest.variants.get(variant)
    if spec is None:
        known = sorted(manifest.variants)
        msg = f"variant {variant!r} is not in {manifest.directory}: use one of {known}"
        raise ModelNotFoundError(msg)
    shipped = spec.get("file")
    if shipped and manifest.path(shipped).is_file():
        if shipped in manifest.files:
            manifest.verify([shipped])
        else:
            Manifest.verify_file(manifest.path(shipped), spec["sha256"])
        return manifest.path(shipped)
    if variant == "int8":
        msg = f"the int8 model {manifest.path(str(shipped))} is missing: restore it or re-export"
        raise ModelNotFoundError(msg)
    source = manifest.variants["int8"]["file"]
    manifest.verify([source])
    source_sha = manifest.files[source]["sha256"]
    target = (cache_dir or default_cache_dir()) / source_sha[:16] / f"encoder.{variant}.onnx"
    expected = spec.get("derived_sha256")
    if target.is_file() and (expected is None or sha256_file(target) == expected):
        return target
    log.info(
        "building the %s graph from %s (first use; cached in %s)", variant, source, target.parent
    )
    _derive(manifest.path(source), variant, target)
    actual = sha256_file(target)
    if expected is not None and actual != expected:
        target.unlink()
        msg = (
            f"the {variant} graph rebuilt from {source} has sha256 {actual[:12]}…, not the "
            f"manifest's {expected[:12]}… (different onnx version?): re-run `finsentry export` "
            "with this environment or serve int8"
        )
        raise ModelIntegrityError(msg)
    return target


def _derive(source: Path, variant: Variant, target: Path) -> None:
    import onnx

    from models.quantize import dequantize, to_fp16

    graph = dequantize(onnx.load(source))
    if variant == "fp16":
        graph = to_fp16(graph)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(f".tmp{os.getpid()}")
    onnx.save(graph, tmp)
    tmp.replace(target)


def _options(threads: int | None) -> Any:
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    if threads:
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
    opts.log_severity_level = 3  # the CUDA-missing warning is reported by us, once, in words
    return opts


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


def _gpu_usable(manifest: Manifest, threads: int | None) -> tuple[bool, str]:
    import onnxruntime as ort

    if _CUDA not in ort.get_available_providers():
        return False, "this onnxruntime build has no CUDA provider"
    _preload_nvidia_libraries(ort)
    ort.set_default_logger_severity(4)  # the failed-CUDA message is reported by us, in words
    try:
        probe = ort.InferenceSession(
            str(manifest.path(manifest.variants["int8"]["file"])),
            _options(threads),
            providers=[_CUDA, _CPU],
        )
    finally:
        ort.set_default_logger_severity(2)
    if probe.get_providers()[0] != _CUDA:
        return False, "the CUDA provider did not load (no GPU, or CUDA 13 / cuDNN 9 missing)"
    return True, "a CUDA GPU is available"


def choose_session(
    manifest: Manifest,
    *,
    provider: Provider = "auto",
    variant: Variant | None = None,
    threads: int | None = None,
    cache_dir: Path | None = None,
) -> ProviderChoice:
    """Create the inference session: CUDA fp16 when it loads (or as asked), else CPU int8."""
    import onnxruntime as ort

    if provider == "cpu":
        want_gpu, reason = False, "the CPU provider was asked for"
    elif provider == "auto" and variant == "int8":
        want_gpu, reason = False, "the int8 variant was asked for (a CPU variant)"
    elif provider == "auto":
        want_gpu, reason = _gpu_usable(manifest, threads)
    else:
        want_gpu, reason = True, f"the {provider} provider was asked for"
    if want_gpu:
        chosen: Variant = variant or "fp16"
        path = materialise_variant(manifest, chosen, cache_dir)
        providers: list[Any] = [_CUDA, _CPU]
        if provider == "tensorrt":
            providers.insert(0, (_TRT, {"trt_fp16_enable": True}))
        session = ort.InferenceSession(str(path), _options(threads), providers=providers)
        active = session.get_providers()[0]
        if active == _CPU:
            msg = (
                f"asked for {provider} but onnxruntime fell back to the CPU: install CUDA 13 "
                "and cuDNN 9 (e.g. the nvidia-*-cu13 wheels) or set FINSENTRY_MODEL__PROVIDER=cpu"
            )
            raise ModelError(msg)
        return ProviderChoice(session, chosen, active, reason)
    chosen = variant or "int8"
    path = materialise_variant(manifest, chosen, cache_dir)
    session = ort.InferenceSession(str(path), _options(threads), providers=[_CPU])
    return ProviderChoice(session, chosen, _CPU, reason)
