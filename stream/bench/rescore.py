"""``finsentry bench rescore``: re-scoring throughput against bare ``score_batch``, and peak
memory against input size.

Throughput (one run, same model instance, same texts, alternating rounds): (1) the texts
through ``score_batch`` in chunks of ``--chunk-size``; (2) the same records as a JSONL file
through ``run_rescore`` (parse, topics, score, JSONL out, rejects, checkpoints).

Memory: each input size runs in a fresh process and reports its peak RSS. On a CPU the model
would need hours for a million rows, so those runs keep the real model loaded but score with a
constant-time stand-in (``--memory-scorer model`` uses the model itself, e.g. on a GPU): what
is measured is whether the pipeline's own memory grows with the input.
"""

from __future__ import annotations

import multiprocessing
import resource
import tempfile
import time
import zlib
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import orjson

from models.serving.runtime import Classifier, Score
from stream.demo.sample import sample_feed
from stream.pipeline.kinds import NEWS
from stream.pipeline.parse import ParseContext, parse_batch
from stream.pipeline.score import model_texts
from stream.records import SourceRef
from stream.rescore.run import RescoreJob, run_rescore
from stream.settings import Settings

__all__ = ["bench_rescore", "write_news_file"]


def write_news_file(path: Path, rows: int, seed: int = 7) -> None:
    """``rows`` sample-feed headlines with unique ids, spread over the past days."""
    base = sample_feed(minutes=60, seed=seed).news
    start = datetime.now(UTC) - timedelta(days=7)
    with path.open("wb") as fh:
        for i in range(rows):
            record = dict(base[i % len(base)])
            record["id"] = f"bench-{i}"
            record["published_at"] = (start + timedelta(seconds=i * 0.5)).isoformat()
            fh.write(orjson.dumps(record) + b"\n")


class _StandIn:
    """Constant-time scorer with the model's output shape (for the memory runs only)."""

    def __init__(self, clf: Classifier) -> None:
        self.version, self.provider, self.variant = clf.version, "stand-in", clf.variant

    def scorer(self, task: str) -> _StandIn:
        return self

    @property
    def model_version(self) -> str:
        return self.version

    def score_batch(self, texts: Sequence[str]) -> list[Score]:
        out = []
        for text in texts:
            h = zlib.crc32(text.encode()) % 1000 / 1000
            probs = {"negative": h / 2, "neutral": 0.5, "positive": (1 - h) / 2}
            label = max(probs, key=probs.__getitem__)
            out.append(Score(label, probs, probs["positive"] - probs["negative"], self.version))
        return out


def _memory_child(settings: Settings, rows: int, workdir: str, scorer: str, queue: Any) -> None:
    path = Path(workdir) / f"in-{rows}.jsonl"
    write_news_file(path, rows)
    clf = settings.model.load()
    used = clf if scorer == "model" else cast(Classifier, _StandIn(clf))
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    job = RescoreJob(inputs=(str(path),), out=str(Path(workdir) / f"out-{rows}.jsonl"))
    started = time.perf_counter()
    summary = run_rescore(settings, job, classifier=used)
    queue.put(
        {
            "rows": rows,
            "scored": summary.scored,
            "seconds": round(time.perf_counter() - started, 1),
            "rss_before_run_mb": round(before / 1024, 1),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        }
    )


def _bare(clf: Classifier, texts: list[str], chunk: int) -> float:
    scorer = clf.scorer("news")
    started = time.perf_counter()
    for i in range(0, len(texts), chunk):
        scorer.score_batch(texts[i : i + chunk])
    return len(texts) / (time.perf_counter() - started)


def bench_rescore(
    settings: Settings,
    rows: int,
    rounds: int,
    chunk: int,
    memory_rows: tuple[int, int],
    memory_scorer: str,
) -> dict[str, Any]:
    workdir = Path(tempfile.mkdtemp(prefix="finsentry-bench-rescore-"))
    clf = settings.model.load()
    source = workdir / "input.jsonl"
    write_news_file(source, rows)
    raws = [
        (line.rstrip(b"\n"), SourceRef(str(source), 0, i))
        for i, line in enumerate(source.read_bytes().splitlines())
    ]
    parse_ctx = ParseContext(settings.validation, datetime.now(UTC), b"")
    texts = model_texts(NEWS, parse_batch(NEWS, raws, parse_ctx).items)
    clf.scorer("news").score_batch(texts[:chunk])  # warm-up
    bare, full = [], []
    for r in range(rounds):
        bare.append(_bare(clf, texts, chunk))
        job = RescoreJob(
            inputs=(str(source),), out=str(workdir / f"out-{r}.jsonl"), chunk_size=chunk
        )
        summary = run_rescore(settings, job, classifier=clf)
        full.append(summary.records_per_s)
    result: dict[str, Any] = {
        "model": clf.version,
        "provider": clf.provider,
        "rows": rows,
        "chunk_size": chunk,
        "rounds": rounds,
        "bare_score_batch_per_s": [round(x, 1) for x in bare],
        "rescore_per_s": [round(x, 1) for x in full],
        "ratio_best": round(max(full) / max(bare), 3),
        "ratio_median_rounds": round(
            sorted(f / b for f, b in zip(full, bare, strict=True))[rounds // 2], 3
        ),
    }
    ctx = multiprocessing.get_context("spawn")
    memory = []
    for n in memory_rows:
        queue = ctx.Queue()
        proc = ctx.Process(
            target=_memory_child, args=(settings, n, str(workdir), memory_scorer, queue)
        )
        proc.start()
        memory.append(queue.get())
        proc.join()
    result["memory_scorer"] = memory_scorer
    result["memory"] = memory
    result["peak_rss_ratio"] = round(memory[1]["peak_rss_mb"] / memory[0]["peak_rss_mb"], 3)
    return result
