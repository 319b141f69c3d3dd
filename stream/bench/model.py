"""``finsentry bench model``: torch eager fp32 vs ORT fp32 vs ORT int8 (vs CUDA fp16) side by side.

Every engine scores the same texts at the same batch sizes, tokenization included, in one run.
"""

from __future__ import annotations

import logging
import platform
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from models.serving.manifest import Manifest
from models.serving.providers import (
    ProviderChoice,
    choose_session,
    gpu_usable,
    session_options,
)
from models.serving.runtime import Classifier, shipped_model_dir
from models.serving.variants import materialise_variant

__all__ = ["BenchRow", "bench_model"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class BenchRow:
    engine: str
    batch_size: int
    sentences_per_s: float
    p50_ms: float
    p99_ms: float
    batches: int
    ratio_vs_torch: float | None = None
    ratio_vs_int8: float | None = None


def _time(
    fn: Callable[[Sequence[str]], Any], texts: Sequence[str], batch: int, seconds: float
) -> list[float]:
    """Per-batch latencies of ``fn`` over ``texts`` for about ``seconds`` (at least 3 batches)."""
    lat: list[float] = []
    start = time.perf_counter()
    while True:
        for i in range(0, len(texts) - batch + 1, batch):
            t0 = time.perf_counter()
            fn(texts[i : i + batch])
            lat.append(time.perf_counter() - t0)
            if time.perf_counter() - start > seconds and len(lat) >= 3:
                return lat
        if not lat:
            return lat


def _interleaved(
    engines: Sequence[tuple[str, Callable[[Sequence[str]], Any]]],
    texts: Sequence[str],
    batch: int,
    seconds: float,
    rounds: int,
) -> list[BenchRow]:
    """Time the engines in turn, ``rounds`` times, so a noisy neighbour hits them alike.

    Ratios are the median over rounds of each round's rate ratio (measured side by side).
    """
    for _, fn in engines:
        fn(texts[:batch])  # warm-up
    lat: dict[str, list[float]] = {name: [] for name, _ in engines}
    rates: dict[str, list[float]] = {name: [] for name, _ in engines}
    for _ in range(rounds):
        for name, fn in engines:
            got = _time(fn, texts, batch, seconds / rounds)
            lat[name] += got
            rates[name].append(batch * len(got) / sum(got) if got else 0.0)

    def ratio(name: str, base: str | None) -> float | None:
        if base is None:
            return None
        per_round = [a / b for a, b in zip(rates[name], rates[base], strict=True) if b]
        return round(float(np.median(per_round)), 2) if per_round else None

    torch_name = next((n for n, _ in engines if n.startswith("torch")), None)
    int8_name = next((n for n, _ in engines if n == "ORT int8 CPU"), None)
    rows = []
    for name, _ in engines:
        ms = np.array(lat[name]) * 1000
        rows.append(
            BenchRow(
                name,
                batch,
                round(float(batch * len(ms) / (ms.sum() / 1000)), 1) if len(ms) else 0.0,
                round(float(np.percentile(ms, 50)), 2) if len(ms) else 0.0,
                round(float(np.percentile(ms, 99)), 2) if len(ms) else 0.0,
                len(ms),
                ratio(name, torch_name),
                ratio(name, int8_name),
            )
        )
    return rows


def _torch_engine(
    torch_model: Path | None, manifest: Manifest, threads: int
) -> tuple[str, Callable[[Sequence[str]], Any]]:
    import torch

    from models.text import clean_text
    from models.training.torch_model import (
        DEFAULT_BASE,
        Batcher,
        build_model,
        load_trained,
        resolve_base_model,
    )

    torch.set_num_threads(threads)
    if torch_model is not None and (torch_model / "training.json").is_file():
        model, batcher = load_trained(torch_model, manifest.max_length)
        name = "torch eager fp32"
    else:  # same architecture and compute; the base weights stand in for the fine-tuned ones
        from transformers import AutoTokenizer

        base = resolve_base_model(manifest.base_model or DEFAULT_BASE)
        from models.tasks import get_task

        model = build_model(base, [get_task(t) for t in manifest.tasks]).eval()
        batcher = Batcher(AutoTokenizer.from_pretrained(base), manifest.max_length)
        name = "torch eager fp32 (base weights)"
    task = next(iter(manifest.tasks))

    def run(texts: Sequence[str]) -> Any:
        with torch.inference_mode():
            logits = model(task, **batcher([clean_text(t) for t in texts]))
            return torch.softmax(logits, -1).numpy()

    return name, run


def _ort_engine(
    manifest: Manifest, variant: str, provider: str, threads: int, cache_dir: Path | None
) -> Callable[[Sequence[str]], Any]:
    import onnxruntime as ort

    if provider == "CPUExecutionProvider":  # as the runtime serves it: chunks side by side
        choice = choose_session(
            manifest,
            provider="cpu",
            variant=variant,  # type: ignore[arg-type]
            threads=threads,
            cache_dir=cache_dir,
        )
        return Classifier(manifest, choice).scorer(next(iter(manifest.tasks))).score_batch
    path = materialise_variant(manifest, variant, cache_dir)  # type: ignore[arg-type]
    providers = [provider, "CPUExecutionProvider"]
    session = ort.InferenceSession(str(path), session_options(threads), providers=providers)
    if session.get_providers()[0] != provider:  # e.g. TensorRT libraries missing: CPU fallback
        msg = f"{provider} did not load (session runs on {session.get_providers()[0]})"
        raise RuntimeError(msg)
    clf = Classifier(manifest, ProviderChoice(session, variant, provider, "bench"))  # type: ignore[arg-type]
    scorer = clf.scorer(next(iter(manifest.tasks)))

    return scorer.score_batch


def bench_model(
    texts: Sequence[str],
    *,
    model_dir: Path | None = None,
    torch_model: Path | None = None,
    batch_sizes: Sequence[int] = (1, 32),
    threads: int = 2,
    seconds: float = 8.0,
    cache_dir: Path | None = None,
    include_torch: bool = True,
    rounds: int = 4,
) -> dict[str, Any]:
    manifest = Manifest.load(model_dir or shipped_model_dir())
    manifest.verify()
    engines: list[tuple[str, Callable[[Sequence[str]], Any]]] = []
    if include_torch:
        engines.append(_torch_engine(torch_model, manifest, threads))
    fp32_shipped = manifest.path(manifest.variants["fp32"].get("file", "-")).is_file()
    engines.append(
        (
            "ORT fp32 CPU" + ("" if fp32_shipped else " (rebuilt from int8)"),
            _ort_engine(manifest, "fp32", "CPUExecutionProvider", threads, cache_dir),
        )
    )
    engines.append(
        ("ORT int8 CPU", _ort_engine(manifest, "int8", "CPUExecutionProvider", threads, cache_dir))
    )
    gpu, reason = gpu_usable(manifest, threads)
    if gpu:
        engines.append(
            (
                "ORT fp16 CUDA",
                _ort_engine(manifest, "fp16", "CUDAExecutionProvider", threads, cache_dir),
            )
        )
        try:
            engines.append(
                (
                    "ORT fp16 TensorRT",
                    _ort_engine(manifest, "fp16", "TensorrtExecutionProvider", threads, cache_dir),
                )
            )
        except Exception as exc:  # noqa: BLE001 - TensorRT is optional
            log.info("TensorRT provider not benchmarked: %s", exc)
    rows: list[BenchRow] = []
    for batch in batch_sizes:
        rows += _interleaved(engines, texts, batch, seconds, rounds)
    return {
        "model": f"{manifest.name}@{manifest.version}",
        "texts": len(texts),
        "mean_chars": round(float(np.mean([len(t) for t in texts])), 1),
        "threads": threads,
        # how the ORT CPU engines spend them (as the runtime does): chunks side by side
        "ort_cpu": {"runs_side_by_side": threads, "intra_op_threads": 1},
        "rounds": rounds,
        "machine": {
            "processor": platform.processor() or platform.machine(),
            "python": platform.python_version(),
        },
        "gpu": {"available": gpu, "reason": reason},
        "rows": [asdict(r) for r in rows],
    }
