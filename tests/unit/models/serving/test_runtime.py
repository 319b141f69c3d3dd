"""The runtime on the shipped model: known answers, bad inputs, integrity checks."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from decimal import Decimal

import orjson
import pytest

from models.errors import ManifestVersionError, ModelIntegrityError, ModelNotFoundError
from models.serving.manifest import Manifest
from models.serving.runtime import Classifier, shipped_model_dir
from models.transactions import Transaction, render_transaction

NEGATIVE = [
    "Company shares plunge after profit warning and CEO resignation",
    "Bank slashes guidance as loan losses soar; stock tumbles 20%",
]
POSITIVE = [
    "Company beats earnings estimates and raises full-year guidance",
    "Shares surge to record high after blowout quarterly revenue",
]


def test_plainly_negative_and_positive_headlines(shipped_classifier):
    scorer = shipped_classifier.scorer("news")
    neg, pos = scorer.score_batch(NEGATIVE), scorer.score_batch(POSITIVE)
    assert [s.label for s in neg] == ["negative", "negative"]
    assert [s.label for s in pos] == ["positive", "positive"]
    assert all(s.score < -0.5 for s in neg) and all(s.score > 0.5 for s in pos)
    s = neg[0]
    assert s.score == pytest.approx(
        s.probabilities["positive"] - s.probabilities["negative"], abs=1e-5
    )
    assert sum(s.probabilities.values()) == pytest.approx(1.0, abs=1e-4)
    assert s.model_version.startswith("finsentry-minilm@") and s.model_version.endswith("/int8")


def _tx(**kw):
    base = dict(
        id="t",
        ts=datetime(2026, 5, 6, 14, 10, tzinfo=UTC),
        account="acct_x",
        counterparty="Whole Foods",
        amount=Decimal("42.50"),
        currency="USD",
        country="US",
        channel="card_present",
        merchant_category="groceries",
    )
    return Transaction(**{**base, **kw})


def test_plainly_risky_and_ordinary_transactions(shipped_classifier):
    risky = _tx(
        amount=Decimal("9900.00"),
        channel="wire",
        country="KY",
        counterparty="QuickCoin",
        merchant_category="crypto_exchange",
        ts=datetime(2026, 5, 6, 3, 5, tzinfo=UTC),
        memo="URGENT transfer today",
    )
    scores = shipped_classifier.scorer("transactions").score_batch(
        [render_transaction(risky), render_transaction(_tx())]
    )
    assert [s.label for s in scores] == ["high", "low"]
    assert scores[0].score > 0.8 and scores[1].score < 0.2


def test_bad_texts_never_fail_the_batch(shipped_classifier):
    texts = [
        "",
        "   \n\t",
        None,
        b"Shares \xff\xfe fall sharply",
        "📉📉 $TSLA \x00\x07 crash",
        "Stocks rally " * 10_000,
        42,
        POSITIVE[0],
    ]
    scores = shipped_classifier.scorer("news").score_batch(texts)
    assert len(scores) == len(texts)
    assert [s.error is not None for s in scores] == [
        True,
        True,
        True,
        False,
        False,
        False,
        True,
        False,
    ]
    assert scores[0].error == "empty text: nothing to score"
    assert scores[2].error == "not text: NoneType"
    assert scores[-1].label == "positive"
    assert all(s.label in {"negative", "neutral", "positive"} for s in scores if s.ok)


def test_batch_results_do_not_depend_on_batch_composition(shipped_classifier, tmp_path):
    batch = ["short", NEGATIVE[0], "a much longer headline " * 20]
    # int8 quantizes each token with its own scale, and padding is masked out
    scorer = shipped_classifier.scorer("news")
    alone = scorer.score_batch([NEGATIVE[0]])[0]
    assert alone.probabilities == pytest.approx(
        scorer.score_batch(batch)[1].probabilities, abs=1e-5
    )
    fp32 = Classifier.load(provider="cpu", variant="fp32", cache_dir=tmp_path).scorer("news")
    assert fp32.score_batch([NEGATIVE[0]])[0].probabilities == pytest.approx(
        fp32.score_batch(batch)[1].probabilities, abs=1e-6
    )


def test_chunks_scored_side_by_side_give_the_same_answers():
    import threading

    serial = Classifier.load(provider="cpu", threads=1)
    side_by_side = Classifier.load(provider="cpu", threads=2)
    assert (serial.workers, side_by_side.workers) == (1, 2)
    together = threading.Barrier(2, timeout=10)  # passes only if two chunks run at once
    sizes: list[int] = []
    run = side_by_side._run

    def traced(ids):
        sizes.append(len(ids))
        together.wait()
        return run(ids)

    side_by_side._run = traced  # type: ignore[method-assign]
    texts = [f"{t} ({n} analysts)" for n in range(12) for t in NEGATIVE + POSITIVE]
    got = side_by_side.scorer("news").score_batch(texts)
    want = serial.scorer("news").score_batch(texts)
    assert all(s.ok for s in got) and sorted(sizes) == [8] * 6  # 48 texts: 6 chunks of 8
    for s, w in zip(got, want, strict=True):
        assert s.probabilities == pytest.approx(w.probabilities, abs=1e-6)
    assert [s.tokens for s in got] == [w.tokens for w in want]
    # a batch of under two chunks is still shared out: 4 texts, 2 per thread
    sizes.clear()
    assert all(s.ok for s in side_by_side.scorer("news").score_batch(NEGATIVE + POSITIVE))
    assert sizes == [2, 2]


@pytest.fixture
def model_copy(tmp_path):
    target = tmp_path / "model"
    shutil.copytree(shipped_model_dir(), target)
    return target


def test_corrupted_model_file_is_refused(model_copy):
    onnx = model_copy / "encoder.int8.onnx"
    data = bytearray(onnx.read_bytes())
    data[len(data) // 2] ^= 0xFF
    onnx.write_bytes(bytes(data))
    with pytest.raises(ModelIntegrityError, match=r"encoder\.int8\.onnx is corrupted.*re-run"):
        Classifier.load(model_copy, provider="cpu")


def test_missing_model_file_is_named(model_copy):
    (model_copy / "tokenizer.json").unlink()
    with pytest.raises(ModelNotFoundError, match=r"tokenizer\.json is missing"):
        Classifier.load(model_copy, provider="cpu")


def test_manifest_from_a_newer_version_is_refused(model_copy):
    path = model_copy / "manifest.json"
    raw = orjson.loads(path.read_bytes())
    path.write_bytes(orjson.dumps({**raw, "schema_version": 99}))
    with pytest.raises(ManifestVersionError, match=r"newer than this finsentry reads.*upgrade"):
        Manifest.load(model_copy)


def test_missing_model_directory(tmp_path):
    with pytest.raises(ModelNotFoundError, match="does not exist"):
        Classifier.load(tmp_path / "nowhere")


def test_shipped_manifest_is_complete():
    m = Manifest.load(shipped_model_dir())
    m.verify()
    assert set(m.tasks) == {"news", "transactions"}
    assert {"int8", "fp16", "fp32"} <= set(m.variants)
    assert m.variants["fp16"]["derived_sha256"]
    for variant in ("fp32", "int8", "fp16"):
        assert m.variants[variant]["metrics"]["news"]["accuracy"] > 0
    size = sum((shipped_model_dir() / f).stat().st_size for f in m.files)
    assert size < 30 * 1024 * 1024
