"""The distillation loss and the teacher checks (the training run itself: test_train_export)."""

from __future__ import annotations

import numpy as np
import orjson
import pytest
import torch

from models.errors import ModelError
from models.serving.manifest import Manifest
from models.serving.runtime import shipped_model_dir
from models.training.distill import (
    average_log_probabilities,
    check_held_out,
    distillation_loss,
    exported_logits,
    is_exported,
    label_logits,
    logits_cache,
    teacher_config,
    teacher_tasks,
)


def test_the_loss_is_zero_only_when_the_student_matches_the_teacher():
    teacher = torch.tensor([[2.0, 0.0, -1.0], [0.0, 3.0, 0.5]])
    assert distillation_loss(teacher.clone(), teacher, 2.0).item() == pytest.approx(0.0, abs=1e-6)
    assert distillation_loss(teacher + torch.tensor([0.0, 1.0, 0.0]), teacher, 2.0).item() > 0.01
    # a shift of every logit leaves the distribution, hence the loss, unchanged
    assert distillation_loss(teacher + 5.0, teacher, 2.0).item() == pytest.approx(0.0, abs=1e-6)


def test_minimising_the_loss_brings_the_student_to_the_teachers_distribution():
    teacher = torch.tensor([[2.0, 0.0, -1.0], [-1.0, 0.5, 1.5]])
    student = torch.zeros(2, 3, requires_grad=True)
    optimiser = torch.optim.SGD([student], lr=1.0)
    for _ in range(300):
        optimiser.zero_grad()
        distillation_loss(student, teacher, 2.0).backward()
        optimiser.step()
    assert torch.allclose(student.softmax(-1), teacher.softmax(-1), atol=1e-3)


def test_an_ensemble_is_the_geometric_mean_of_its_teachers_distributions():
    a = np.array([[2.0, 0.0, -1.0], [0.0, 0.0, 0.0]], dtype=np.float32)
    b = np.array([[0.0, 3.0, 0.0], [10.0, 10.0, 13.0]], dtype=np.float32)  # another scale
    mean = average_log_probabilities([a, b])
    pa, pb = torch.tensor(a).softmax(-1).numpy(), torch.tensor(b).softmax(-1).numpy()
    geometric = np.sqrt(pa * pb)
    expected = geometric / geometric.sum(axis=1, keepdims=True)
    assert np.allclose(torch.tensor(mean).softmax(-1).numpy(), expected, atol=1e-6)
    # shifting one teacher's logits changes nothing; one teacher is its own log-softmax
    assert np.allclose(average_log_probabilities([a + 7.0, b]), mean, atol=1e-5)
    assert np.allclose(average_log_probabilities([a]), torch.tensor(a).log_softmax(-1), atol=1e-6)
    assert mean.dtype == np.float32


def _teacher_dir(tmp_path, tasks, held_out=("a", "b")):
    (tmp_path / "validation").mkdir()
    (tmp_path / "training.json").write_bytes(orjson.dumps({"tasks": tasks}))
    lines = b"".join(orjson.dumps({"text": t, "label": "neutral"}) + b"\n" for t in held_out)
    (tmp_path / "validation" / "news.jsonl").write_bytes(lines)
    return tmp_path


def test_a_teacher_that_may_have_seen_validation_texts_is_refused(tmp_path):
    teacher = _teacher_dir(tmp_path, {"news": ["negative", "neutral", "positive"]})
    check_held_out(teacher, "news", ["a", "b"])  # same split: fine
    with pytest.raises(ModelError, match=r"1 of this run's 2 news validation texts.*--seed"):
        check_held_out(teacher, "news", ["a", "c"])
    with pytest.raises(ModelError, match="no validation split for transactions"):
        check_held_out(teacher, "transactions", ["a"])


def test_a_teacher_must_be_a_training_or_exported_directory_with_our_labels(tmp_path):
    with pytest.raises(ModelError, match=r"neither a training directory .* nor an exported"):
        teacher_tasks(tmp_path)
    teacher = _teacher_dir(tmp_path, {"news": ["positive", "neutral", "negative"]})
    with pytest.raises(ModelError, match="retrain the teacher"):
        teacher_tasks(teacher)


def test_cached_teacher_logits_are_keyed_on_texts_length_and_teacher(tmp_path):
    (tmp_path / "heads.npz").write_bytes(b"heads v1")
    key = logits_cache(tmp_path, "news", ["a", "b"], 128)
    assert key.parent == tmp_path / "logits"
    assert key == logits_cache(tmp_path, "news", ["a", "b"], 128)
    others = {
        logits_cache(tmp_path, "news", ["a", "c"], 128),
        logits_cache(tmp_path, "news", ["ab"], 128),
        logits_cache(tmp_path, "news", ["a", "b"], 64),
        logits_cache(tmp_path, "transactions", ["a", "b"], 128),
    }
    (tmp_path / "heads.npz").write_bytes(b"heads v2")  # the teacher retrained in place
    others.add(logits_cache(tmp_path, "news", ["a", "b"], 128))
    assert key not in others and len(others) == 5


def test_a_template_teaches_its_label_with_the_chosen_confidence():
    probs = torch.tensor(label_logits([0, 2, 1], 3, 0.95)).softmax(-1).numpy()
    np.testing.assert_allclose(probs[[0, 1, 2], [0, 2, 1]], 0.95, atol=1e-6)
    np.testing.assert_allclose(probs.sum(1), 1.0, atol=1e-6)
    assert probs[0, 1] == pytest.approx(0.025, abs=1e-6)


def test_an_exported_model_teaches_with_its_raw_logits(shipped_classifier):
    shipped = shipped_model_dir()
    assert is_exported(shipped) and not is_exported(shipped / "nowhere")
    assert set(teacher_tasks(shipped)) == {"news", "transactions"}
    assert teacher_config(shipped) == Manifest.load(shipped).training["config"]
    texts = [
        "Operating profit rose to EUR 13.1 mn from EUR 8.7 mn.",
        "$XYZ misses estimates, shares slide",
        "The annual general meeting will be held on 4 April.",
    ]
    logits = exported_logits(shipped, {"news": texts})["news"]
    assert logits.shape == (3, 3)
    # raw logits: the served probabilities are these divided by the calibration temperature
    served = shipped_classifier.scorer("news").score_batch(texts)
    temperature = shipped_classifier.temperature("news")
    assert temperature != 1.0
    probs = torch.tensor(logits / temperature).softmax(-1).numpy()
    for row, score in zip(probs, served, strict=True):
        np.testing.assert_allclose(row, list(score.probabilities.values()), atol=1e-4)
