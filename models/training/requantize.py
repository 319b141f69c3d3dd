"""``finsentry requantize``: rewrite a model's int8 encoder with this version's quantizer.

The int8 graph holds every weight as integers and scales, so the float graph rebuilt from it
(:func:`models.serving.variants.dequantize`) quantizes back to the same integers: no training
directory, no data, no new weights — only the kernels change (e.g. ``MatMulIntegerToFloat``
since 2026-12-07). A gate checks that the new graph scores the given texts as the old one did
before anything is written; the old binary stays in git history.
"""

from __future__ import annotations

import dataclasses
import logging
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from models.errors import ExportGateError
from models.serving.manifest import Manifest, sha256_file
from models.serving.runtime import Classifier
from models.serving.variants import materialise_variant

__all__ = ["Requantized", "requantize"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Requantized:
    old_version: str
    new_version: str
    texts: int
    max_prob_delta: float  # over every task head, old int8 vs new int8
    integers_equal: bool  # every int8 weight tensor came back identical


def requantize(directory: Path, texts: Sequence[str], tolerance: float = 1e-4) -> Requantized:
    """Re-quantize ``directory``'s int8 encoder in place after checking it on ``texts``."""
    import onnx

    from models.serving.variants import dequantize
    from models.training.quantize import quantize_int8

    manifest = Manifest.load(directory)
    manifest.verify()
    name = manifest.variants["int8"]["file"]
    old_path = manifest.path(name)
    with tempfile.TemporaryDirectory() as tmp:
        fp32, new_path = Path(tmp) / "encoder.fp32.onnx", Path(tmp) / name
        onnx.save(dequantize(onnx.load(old_path)), fp32)
        quantize_int8(fp32, new_path)
        equal = _same_integers(old_path, new_path)
        delta = _max_prob_delta(manifest, old_path, new_path, texts)
        if delta > tolerance or not equal:
            msg = (
                f"the re-quantized encoder does not score as {manifest.version} does (max "
                f"probability delta {delta:.2e}, limit {tolerance:.0e}; integer weights "
                f"{'equal' if equal else 'differ'}): nothing was written"
            )
            raise ExportGateError(msg)
        shutil.copy(new_path, old_path)
    sha = sha256_file(old_path)
    date, _, rest = manifest.version.partition("-")
    suffix = rest[rest.index("+") :] if "+" in rest else ""
    files = {**manifest.files, name: {"sha256": sha, "bytes": old_path.stat().st_size}}
    updated = dataclasses.replace(manifest, files=files, version=f"{date}-{sha[:8]}{suffix}")
    with tempfile.TemporaryDirectory() as cache:
        for variant, spec in updated.variants.items():
            if "derived_sha256" in spec:  # rebuilt graphs change with the source graph
                spec.pop("derived_sha256")
                spec["derived_sha256"] = sha256_file(
                    materialise_variant(updated, variant, Path(cache))  # type: ignore[arg-type]
                )
    updated.write()
    card = updated.path("MODEL_CARD.md")
    if card.is_file():
        body = card.read_text().split("\n", 1)
        card.write_text(f"# {updated.name} {updated.version}\n{body[1] if len(body) > 1 else ''}")
    log.info("re-quantized %s -> %s", manifest.version, updated.version)
    return Requantized(manifest.version, updated.version, len(texts), delta, equal)


def _same_integers(old: Path, new: Path) -> bool:
    """Every int8/uint8 weight tensor of ``old`` is in ``new``, in the same order."""
    import onnx
    from onnx import numpy_helper

    def integers(path: Path) -> list[np.ndarray]:
        return [
            a
            for i in onnx.load(path).graph.initializer
            if (a := numpy_helper.to_array(i)).dtype in (np.int8, np.uint8) and a.size > 1
        ]

    a, b = integers(old), integers(new)
    return sorted(x.tobytes() for x in a) == sorted(x.tobytes() for x in b)


def _max_prob_delta(manifest: Manifest, old: Path, new: Path, texts: Sequence[str]) -> float:
    probs = []
    for path in (old, new):
        clf = Classifier.on_cpu(manifest, path, "int8")
        pooled, errors = clf.embed(clf.encode(list(texts)))
        if any(errors):
            msg = f"{path.name} failed to score the check texts: {next(e for e in errors if e)}"
            raise ExportGateError(msg)
        probs.append(np.concatenate([clf.probabilities(t, pooled) for t in manifest.tasks], 1))
    return float(np.abs(probs[0] - probs[1]).max())
