"""Serving: a model directory -> verified manifest -> ONNX session -> ``score_batch`` (no torch)."""
