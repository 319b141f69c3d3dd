"""``finsentry rescore`` over files, with the real shipped model."""

from __future__ import annotations

import csv
import threading
from pathlib import Path

import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from stream.bench.rescore import write_news_file
from stream.cli import app as finsentry
from stream.errors import CheckpointError, InputError
from stream.rescore.run import RescoreJob, run_rescore
from stream.settings import Settings

ROWS = 40


@pytest.fixture
def settings() -> Settings:
    return Settings()


@pytest.fixture
def news_jsonl(tmp_path) -> Path:
    path = tmp_path / "news.jsonl"
    write_news_file(path, ROWS)
    return path


def _records(path: Path) -> list[dict]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines()]


def _ids(path: Path) -> list[str]:
    return [r["id"] for r in _records(path)]


def test_jsonl_round_trip_scores_every_record(settings, news_jsonl, tmp_path, shipped_classifier):
    out = tmp_path / "out.jsonl"
    summary = run_rescore(
        settings,
        RescoreJob(inputs=(str(news_jsonl),), out=str(out), chunk_size=16),
        classifier=shipped_classifier,
    )
    rows = _records(out)
    assert [r["id"] for r in rows] == _ids(news_jsonl)
    assert summary.read == summary.scored == ROWS and summary.rejected == 0
    # the model's score of the worker's text (int8 activations are quantized per run, so the
    # batch a text shares moves it slightly)
    direct = shipped_classifier.scorer("news").score_batch([_records(news_jsonl)[0]["headline"]])
    assert rows[0]["label"] == direct[0].label
    assert rows[0]["score"] == pytest.approx(direct[0].score, abs=0.01)
    assert rows[0]["source"] == f"{news_jsonl}[0]@1"
    assert all(r["topics"] for r in rows)


def test_csv_and_parquet_inputs_and_parquet_output(settings, news_jsonl, tmp_path,
                                                    shipped_classifier):  # fmt: skip
    records = _records(news_jsonl)
    csv_path = tmp_path / "news.csv"
    with csv_path.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, ["id", "published_at", "source", "headline", "tickers"])
        writer.writeheader()
        for r in records:
            writer.writerow({**{k: r.get(k) for k in writer.fieldnames if k != "tickers"},
                             "tickers": "|".join(r.get("tickers", []))})  # fmt: skip
    parquet_path = tmp_path / "news.parquet"
    pq.write_table(pa.Table.from_pylist([{k: v for k, v in r.items()} for r in records]),
                   parquet_path)  # fmt: skip
    for source in (csv_path, parquet_path):
        out = tmp_path / f"from-{source.suffix[1:]}.parquet"
        summary = run_rescore(
            settings,
            RescoreJob(inputs=(str(source),), out=str(out), chunk_size=16, flush_rows=16),
            classifier=shipped_classifier,
        )
        assert summary.scored == ROWS, source
        table = pq.read_table(out)  # a directory of parts, read as one table
        assert len(list(out.glob("part-*.parquet"))) >= 2
        assert table.column("id").to_pylist() == [r["id"] for r in records]
        assert set(table.column("label").to_pylist()) <= {"negative", "neutral", "positive"}
        probs = orjson.loads(table.column("probabilities")[0].as_py())
        assert sum(probs.values()) == pytest.approx(1.0, abs=1e-3)


def test_bad_rows_go_to_rejects_with_line_and_reason(settings, news_jsonl, tmp_path,
                                                      shipped_classifier):  # fmt: skip
    lines = news_jsonl.read_bytes().splitlines()
    bad = [b"{not json", b'{"id": "x", "source": "s", "headline": "h"}', b"[1, 2]"]
    mixed = tmp_path / "mixed.jsonl"
    mixed.write_bytes(b"\n".join([*lines[:5], bad[0], *lines[5:10], *bad[1:]]) + b"\n")
    out = tmp_path / "out.jsonl"
    summary = run_rescore(
        settings, RescoreJob(inputs=(str(mixed),), out=str(out)), classifier=shipped_classifier
    )
    rejects = _records(tmp_path / "out.jsonl.rejects.jsonl")
    assert [(r["line"], r["reason"]) for r in rejects] == [
        (6, "bad_json"),
        (12, "missing_field"),
        (13, "not_object"),
    ]
    assert summary.scored == 10 and summary.rejected == 3
    assert summary.reasons == {"bad_json": 1, "missing_field": 1, "not_object": 1}


def test_interrupted_run_resumes_without_duplicates_or_gaps(settings, news_jsonl, tmp_path,
                                                            shipped_classifier):  # fmt: skip
    out = tmp_path / "out.jsonl"
    job = RescoreJob(inputs=(str(news_jsonl),), out=str(out), chunk_size=8, flush_rows=8)
    stop = threading.Event()

    def interrupt_after_two_chunks(done: int, total: int) -> None:
        if done >= 16:
            stop.set()

    first = run_rescore(
        settings, job, classifier=shipped_classifier, on_progress=interrupt_after_two_chunks,
        stop=stop,
    )  # fmt: skip
    assert first.interrupted and first.read == 16
    assert len(_ids(out)) == 16
    # a crash after the checkpoint leaves rows the checkpoint does not know about
    with out.open("ab") as fh:
        fh.write(orjson.dumps({"id": "written-after-the-checkpoint"}) + b"\n")
    second = run_rescore(settings, job, classifier=shipped_classifier)
    assert second.resumed and not second.interrupted
    assert _ids(out) == _ids(news_jsonl)  # each once, in order
    third = run_rescore(settings, job, classifier=shipped_classifier)
    assert third.already_complete and _ids(out) == _ids(news_jsonl)


def test_checkpoint_of_another_command_is_refused(settings, news_jsonl, tmp_path,
                                                  shipped_classifier):  # fmt: skip
    out = tmp_path / "out.jsonl"
    run_rescore(settings, RescoreJob(inputs=(str(news_jsonl),), out=str(out)),
                classifier=shipped_classifier)  # fmt: skip
    other = RescoreJob(inputs=(str(news_jsonl),), out=str(out), kind="transaction")
    with pytest.raises(CheckpointError, match="different rescore command"):
        run_rescore(settings, other, classifier=shipped_classifier)


def test_unknown_format_and_missing_input_say_what_to_do(settings, tmp_path, shipped_classifier):
    odd = tmp_path / "feed.xml"
    odd.write_text("<news/>")
    with pytest.raises(InputError, match=r"unknown input format '\.xml'"):
        run_rescore(settings, RescoreJob(inputs=(str(odd),), out=str(tmp_path / "o.jsonl")),
                    classifier=shipped_classifier)  # fmt: skip
    with pytest.raises(InputError, match="no input matches"):
        run_rescore(settings, RescoreJob(inputs=(str(tmp_path / "nope*.jsonl"),),
                    out=str(tmp_path / "o.jsonl")), classifier=shipped_classifier)  # fmt: skip


def test_cli_exit_codes(news_jsonl, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    app = finsentry
    mixed = tmp_path / "mixed.jsonl"
    mixed.write_bytes(news_jsonl.read_bytes() + b"oops\n")
    strict = runner.invoke(app, ["rescore", str(mixed), "-o", "a.jsonl"])
    assert strict.exit_code == 1, strict.output
    assert "1 rows rejected" in strict.output
    lenient = runner.invoke(app, ["rescore", str(mixed), "-o", "b.jsonl", "--allow-errors"])
    assert lenient.exit_code == 0, lenient.output
    missing = runner.invoke(app, ["rescore", "missing.jsonl"])
    assert missing.exit_code == 2 and "no input matches" in missing.output
    unreachable = runner.invoke(
        app, ["rescore", "--topic", "news", "-o", "c.jsonl"],
        env={"FINSENTRY_KAFKA__BOOTSTRAP_SERVERS": "127.0.0.1:1"},
    )  # fmt: skip
    assert unreachable.exit_code == 2
    assert "cannot reach Kafka at 127.0.0.1:1" in unreachable.output


def test_unreadable_inputs_are_one_line_errors(settings, tmp_path, shipped_classifier, news_jsonl):
    import pyarrow as pa
    import pyarrow.parquet as pq

    whole = tmp_path / "whole.parquet"
    pq.write_table(pa.table({"id": ["a"] * 50, "headline": ["h"] * 50}), whole)
    truncated = tmp_path / "cut.parquet"
    truncated.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    with pytest.raises(InputError, match=r"cut\.parquet is not a readable Parquet file"):
        run_rescore(settings, RescoreJob(inputs=(str(truncated),), out=str(tmp_path / "o.jsonl")),
                    classifier=shipped_classifier)  # fmt: skip
    no_text = tmp_path / "no-text.csv"
    no_text.write_text("id,published_at,source,title\nx,2026-11-22T10:00:00Z,w,Hello\n")
    with pytest.raises(InputError, match=r"no column 'headline'.*--kind"):
        run_rescore(settings, RescoreJob(inputs=(str(no_text),), out=str(tmp_path / "p.jsonl")),
                    classifier=shipped_classifier)  # fmt: skip
    runner = CliRunner()
    result = runner.invoke(finsentry, ["rescore", str(truncated), "-o", str(tmp_path / "q.jsonl")])
    assert result.exit_code == 2 and "Traceback" not in result.output


def test_a_model_file_that_does_not_load_is_one_line(tmp_path):
    import shutil

    from models.serving.manifest import Manifest, sha256_file
    from models.serving.runtime import shipped_model_dir

    broken = tmp_path / "model"
    shutil.copytree(shipped_model_dir(), broken)
    encoder = broken / "encoder.int8.onnx"
    encoder.write_bytes(b"not an onnx graph")
    manifest = Manifest.load(broken)  # the hashes say it is fine: only loading tells
    manifest.files["encoder.int8.onnx"]["sha256"] = sha256_file(encoder)
    manifest.write()
    result = CliRunner().invoke(finsentry, ["score", "--model-dir", str(broken), "hello"])
    assert result.exit_code == 2, result.output
    assert "does not load" in result.output and "Traceback" not in result.output
