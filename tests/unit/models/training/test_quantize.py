"""Per-row int8 embedding tables (models.training.quantize) and their float rebuild."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

from models.serving.variants import dequantize
from models.training.quantize import quantize_embeddings, quantize_int8


def _lookup_model(table: np.ndarray, small: np.ndarray) -> onnx.ModelProto:
    """ids -> table[ids] + small[0]: one large table and one too small to quantize."""
    graph = helper.make_graph(
        [
            helper.make_node("Gather", ["table", "ids"], ["rows"], name="lookup"),
            helper.make_node("Gather", ["small", "zero"], ["bias"], name="small_lookup"),
            helper.make_node("Add", ["rows", "bias"], ["out"], name="add"),
        ],
        "lookup",
        [helper.make_tensor_value_info("ids", TensorProto.INT64, ["batch", "seq"])],
        [helper.make_tensor_value_info("out", TensorProto.FLOAT, ["batch", "seq", 16])],
        [
            numpy_helper.from_array(table, "table"),
            numpy_helper.from_array(small, "small"),
            numpy_helper.from_array(np.array(0, dtype=np.int64), "zero"),
        ],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
    model.ir_version = 9
    return model


def _run(model: onnx.ModelProto, ids: np.ndarray) -> np.ndarray:
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return np.asarray(session.run(None, {"ids": ids})[0])


def _tables() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    table = (rng.standard_normal((300, 16)) * 0.02).astype(np.float32)
    table[7] *= 5000  # one outlier row, as fine-tuned word tables have
    small = rng.standard_normal((2, 16)).astype(np.float32)
    return table, small


def test_each_row_keeps_its_own_precision():
    table, small = _tables()
    model = quantize_embeddings(_lookup_model(table, small))
    inits = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    assert inits["table_int8"].dtype == np.int8
    assert "table" not in inits  # the float table is gone: the int8 one replaces it
    assert inits["small"].dtype == np.float32  # under min_rows: left alone
    ids = np.array([[1, 2, 7, 299], [0, 0, 5, 7]], dtype=np.int64)
    want = table[ids] + small[0]
    got = _run(model, ids)
    ordinary = ids != 7
    # the outlier row does not coarsen the others: their error stays within half their step
    steps = np.abs(table).max(axis=1) / 127
    assert (np.abs(got - want)[ordinary] <= steps[ids][ordinary][:, None] / 2 + 1e-6).all()
    per_table_step = np.abs(table).max() / 127
    assert np.abs(got - want)[ordinary].max() < per_table_step / 50


def test_dequantize_rebuilds_a_float_table_with_the_same_outputs():
    table, small = _tables()
    quantized = quantize_embeddings(_lookup_model(table, small))
    rebuilt = dequantize(quantized)
    ops = [n.op_type for n in rebuilt.graph.node]
    assert "Cast" not in ops and "Mul" not in ops
    inits = {i.name: numpy_helper.to_array(i) for i in rebuilt.graph.initializer}
    assert all(a.dtype != np.int8 for a in inits.values())
    ids = np.arange(300, dtype=np.int64).reshape(3, 100)
    np.testing.assert_allclose(_run(rebuilt, ids), _run(quantized, ids), rtol=1e-6, atol=1e-7)


def _matmul_model(path: Path) -> np.ndarray:
    """x [batch, seq, 16] @ W [16, 8]: the shape of the encoder's MatMuls."""
    weight = np.random.default_rng(1).standard_normal((16, 8)).astype(np.float32)
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["out"], name="proj")],
        "proj",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", "seq", 16])],
        [helper.make_tensor_value_info("out", TensorProto.FLOAT, ["batch", "seq", 8])],
        [numpy_helper.from_array(weight, "w")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
    model.ir_version = 9
    onnx.save(model, path)
    return weight


def _run_x(path: Path, x: np.ndarray) -> np.ndarray:
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return np.asarray(session.run(None, {"x": x})[0])


def test_int8_scores_a_row_the_same_whatever_shares_its_batch(tmp_path):
    weight = _matmul_model(tmp_path / "fp32.onnx")
    quantize_int8(tmp_path / "fp32.onnx", tmp_path / "int8.onnx")
    ops = {n.op_type for n in onnx.load(tmp_path / "int8.onnx").graph.node}
    # one fused integer kernel per MatMul, per-token scales (no per-run DynamicQuantizeLinear)
    assert "MatMulIntegerToFloat" in ops and not ops & {"MatMulInteger", "DynamicQuantizeLinear"}
    rng = np.random.default_rng(2)
    row = rng.standard_normal((1, 3, 16)).astype(np.float32)
    loud = rng.standard_normal((1, 3, 16)).astype(np.float32) * 100  # a neighbour with a wide range
    alone = _run_x(tmp_path / "int8.onnx", row)
    together = _run_x(tmp_path / "int8.onnx", np.concatenate([row, loud]))[:1]
    np.testing.assert_allclose(together, alone, rtol=0, atol=1e-6)
    # and it still computes the MatMul: int8 error well under the outputs' scale
    want = row @ weight
    assert np.abs(alone - want).max() < 0.05 * np.abs(want).max()
    # the float rebuild (the GPU's fp16 starts here) folds it back to one MatMul
    rebuilt = dequantize(onnx.load(tmp_path / "int8.onnx"))
    assert [n.op_type for n in rebuilt.graph.node] == ["MatMul"]
    onnx.save(rebuilt, tmp_path / "rebuilt.onnx")
    np.testing.assert_allclose(_run_x(tmp_path / "rebuilt.onnx", row), want, atol=0.05)


def test_graphs_of_earlier_quantizers_still_fold_back_to_one_matmul(tmp_path):
    """Models exported before 2026-12-07 stay servable on the GPU: the fp16 graph is rebuilt
    from their ``MatMulInteger`` chains (per run here: ``quantize_dynamic`` as it comes)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    weight = _matmul_model(tmp_path / "fp32.onnx")
    quantize_dynamic(
        tmp_path / "fp32.onnx",
        tmp_path / "per-run.onnx",
        weight_type=QuantType.QInt8,
        per_channel=True,
        op_types_to_quantize=["MatMul"],
    )
    assert "MatMulInteger" in {n.op_type for n in onnx.load(tmp_path / "per-run.onnx").graph.node}
    rebuilt = dequantize(onnx.load(tmp_path / "per-run.onnx"))
    assert [n.op_type for n in rebuilt.graph.node] == ["MatMul"]
    onnx.save(rebuilt, tmp_path / "rebuilt.onnx")
    row = np.random.default_rng(3).standard_normal((1, 3, 16)).astype(np.float32)
    np.testing.assert_allclose(_run_x(tmp_path / "rebuilt.onnx", row), row @ weight, atol=0.05)
