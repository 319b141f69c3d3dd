"""Where the encoder runs: the CPU when asked (or when CUDA does not load), and bad graphs named."""

from __future__ import annotations

import pytest
from onnxruntime import SessionOptions

from models.errors import ModelIntegrityError
from models.serving.manifest import Manifest
from models.serving.providers import choose_session, gpu_usable, open_session, session_options
from models.serving.runtime import shipped_model_dir


def test_the_cpu_serves_int8_and_says_why():
    manifest = Manifest.load(shipped_model_dir())
    choice = choose_session(manifest, provider="cpu", threads=1)
    assert (choice.variant, choice.provider) == ("int8", "CPUExecutionProvider")
    assert "CPU provider was asked for" in choice.reason
    assert choice.workers == 1
    # threads are spent on chunks side by side, one intra-op thread each
    assert choose_session(manifest, provider="cpu", threads=3).workers == 3
    usable, why = gpu_usable(manifest, 1)
    assert isinstance(usable, bool) and why  # on this machine: no GPU, said in words


def test_a_graph_that_does_not_load_is_a_model_integrity_error(tmp_path):
    bad = tmp_path / "encoder.onnx"
    bad.write_bytes(b"\x00not a graph")
    with pytest.raises(ModelIntegrityError, match=r"encoder\.onnx does not load"):
        open_session(bad, SessionOptions(), ["CPUExecutionProvider"])


def test_sessions_keep_no_memory_plan_per_input_shape():
    # every batch size and padded length would otherwise add a plan for the worker's lifetime
    for threads in (None, 1, 2):
        opts = session_options(threads)
        assert opts.enable_mem_pattern is False
