"""Variants of the encoder graph the runtime can serve, and how each is materialised.

Only the int8 graph is committed (size budget). ``dequantize`` rebuilds a float32 graph from it
by folding every quantized weight back to floats (MatMulInteger or MatMulIntegerToFloat ->
MatMul, quantized Gather -> Gather); ``to_fp16`` turns that into the GPU variant. Both are
deterministic, so the manifest records the hash a first load must produce, and a rebuilt graph
is cached under the hash of its source. Needs onnx and onnxruntime only (no torch).
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np

from models.errors import ModelIntegrityError, ModelNotFoundError
from models.serving.manifest import Manifest, sha256_file

if TYPE_CHECKING:  # onnx takes ~1 s to import: only the functions that rebuild graphs need it
    import onnx

__all__ = [
    "SCALED_SUFFIX",
    "Variant",
    "default_cache_dir",
    "dequantize",
    "materialise_variant",
    "prune",
    "to_fp16",
]

log = logging.getLogger(__name__)

Variant = Literal["int8", "fp16", "fp32"]
# The per-token activation quantizer (models.training.quantize) names the float input it
# quantizes ``<node>_per_token`` (a Div in graphs before 2026-12, a Reshape since):
# ``dequantize`` goes back to that input.
SCALED_SUFFIX = "_per_token"


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

    graph = dequantize(onnx.load(source))
    if variant == "fp16":
        graph = to_fp16(graph)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(f".tmp{os.getpid()}")
    onnx.save(graph, tmp)
    tmp.replace(target)


def _float_weight(inits: dict[str, np.ndarray], q: str, scale: str, zero: str | None) -> np.ndarray:
    zp = inits[zero].astype(np.float32) if zero else np.float32(0)
    return ((inits[q].astype(np.float32) - zp) * inits[scale].astype(np.float32)).astype(np.float32)


def dequantize(model: onnx.ModelProto) -> onnx.ModelProto:
    """Rebuild a float32 graph from a ``quantize_dynamic`` graph (weights folded to floats)."""
    import onnx
    from onnx import helper, numpy_helper

    graph = model.graph
    inits = {i.name: numpy_helper.to_array(i) for i in graph.initializer}
    producer = {out: node for node in graph.node for out in node.output}
    consumers: dict[str, list[onnx.NodeProto]] = defaultdict(list)
    for node in graph.node:
        for name in node.input:
            consumers[name].append(node)

    replace: dict[int, onnx.NodeProto] = {}  # id(node to replace) -> float node
    drop: set[int] = set()
    new_inits: dict[str, np.ndarray] = {}
    for node in graph.node:
        if node.op_type == "MatMulIntegerToFloat" and node.input[1] in inits:
            # per token (since 2026-12-07): MatMulIntegerToFloat(w_scale), then * a_scale
            (last,) = consumers[node.output[0]]
            zero = node.input[5] if len(node.input) > 5 else None
            weight = f"{node.input[1]}_dequantized"
            new_inits[weight] = _float_weight(inits, node.input[1], node.input[3], zero)
            replace[id(node)] = helper.make_node(
                "MatMul",
                [_quantized_from(node, producer).input[0], weight],
                [last.output[0]],
                name=f"{node.name}_float",
            )
            drop.add(id(last))
        elif node.op_type == "MatMulInteger" and node.input[1] in inits:
            source = _quantized_from(node, producer)
            (cast,) = consumers[node.output[0]]
            (mul,) = consumers[cast.output[0]]
            scale_name = next(i for i in mul.input if i != cast.output[0])
            if scale_name in inits:  # per token: cast * w_scale, then * a_scale
                w_scale = scale_name
                (last,) = consumers[mul.output[0]]
                drop.add(id(last))
            else:  # per run: cast * (a_scale * w_scale)
                w_scale = next(i for i in producer[scale_name].input if i in inits)
                last = mul
            zero = node.input[3] if len(node.input) > 3 else None
            weight = f"{node.input[1]}_dequantized"
            new_inits[weight] = _float_weight(inits, node.input[1], w_scale, zero)
            replace[id(node)] = helper.make_node(
                "MatMul", [source.input[0], weight], [last.output[0]], name=f"{node.name}_float"
            )
            drop.update({id(cast), id(mul)})
        elif (
            node.op_type == "Gather"
            and node.input[0] in inits
            and inits[node.input[0]].dtype in (np.int8, np.uint8)
        ):
            (dq,) = consumers[node.output[0]]
            weight = f"{node.input[0]}_dequantized"
            if dq.op_type == "Cast":  # per-row table (quantize_embeddings): Cast, then Mul
                (mul,) = consumers[dq.output[0]]
                row_scale = producer[next(i for i in mul.input if i != dq.output[0])].input[0]
                new_inits[weight] = _float_weight(inits, node.input[0], row_scale, None)
                drop.add(id(mul))
                dq = mul
            else:  # DequantizeLinear with one scale for the table (quantize_dynamic)
                zero = dq.input[2] if len(dq.input) > 2 else None
                new_inits[weight] = _float_weight(inits, node.input[0], dq.input[1], zero)
            replace[id(node)] = helper.make_node(
                "Gather",
                [weight, node.input[1]],
                [dq.output[0]],
                name=f"{node.name}_float",
                **{a.name: helper.get_attribute_value(a) for a in node.attribute},
            )
            drop.add(id(dq))

    nodes = [replace.get(id(n), n) for n in graph.node if id(n) not in drop]
    nodes = prune(nodes, {o.name for o in graph.output})
    used = {name for n in nodes for name in n.input}
    initializers = [i for i in graph.initializer if i.name in used]
    initializers += [
        numpy_helper.from_array(a, name) for name, a in new_inits.items() if name in used
    ]
    new_graph = helper.make_graph(nodes, graph.name, graph.input, graph.output, initializers)
    out = helper.make_model(
        new_graph, opset_imports=model.opset_import, producer_name="finsentry-dequantize"
    )
    out.ir_version = model.ir_version
    onnx.checker.check_model(out)
    return out


def _quantized_from(matmul: onnx.NodeProto, producer: dict[str, onnx.NodeProto]) -> onnx.NodeProto:
    """The node whose first input is the float activation ``matmul``'s input was quantized from."""
    source = producer[matmul.input[0]]
    while source.op_type != "DynamicQuantizeLinear" and not (
        source.op_type in ("Div", "Reshape") and source.output[0].endswith(SCALED_SUFFIX)
    ):
        source = producer[source.input[0]]
    return source


def prune(nodes: list[onnx.NodeProto], outputs: set[str]) -> list[onnx.NodeProto]:
    """Drop nodes whose outputs nobody reads (the now unused quantize/scale nodes)."""
    while True:
        needed = set(outputs) | {name for n in nodes for name in n.input}
        kept = [n for n in nodes if any(o in needed for o in n.output)]
        if len(kept) == len(nodes):
            return kept
        nodes = kept


def to_fp16(model: onnx.ModelProto) -> onnx.ModelProto:
    """fp16 weights and compute, fp32 inputs/outputs (for the CUDA provider)."""
    from onnxruntime.transformers.float16 import convert_float_to_float16

    return convert_float_to_float16(model, keep_io_types=True)
