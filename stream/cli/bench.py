"""``finsentry bench model | stream | rescore | lifecycle``: print a table, write JSON."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated, Any, Literal

import orjson
import typer
from rich.console import Console
from rich.table import Table

from stream.cli.errors import user_errors
from stream.cli.root import bench

console = Console(stderr=True)


def _measures(title: str, result: dict[str, Any], json_out: Path) -> None:
    """A measure/value table titled with the machine, and the JSON (with ``machine``)."""
    from stream.bench.machine import describe, machine

    result = {**result, "machine": machine()}
    table = Table(title=f"{title} on {describe(result['machine'])}")
    for col in ("measure", "value"):
        table.add_column(col)
    for key, value in result.items():
        table.add_row(key, str(value))
    Console().print(table)
    json_out.write_bytes(orjson.dumps(result, option=orjson.OPT_INDENT_2))
    console.print(f"wrote {json_out}")


def _quiet_clients() -> None:
    """The benches poll /metrics and (re)subscribe often: their clients' INFO lines are noise."""
    for noisy in ("httpx", "aiokafka"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


@bench.command("stream")
@user_errors
def bench_stream_cmd(
    ctx: typer.Context,
    records: Annotated[int, typer.Option(help="backlog size")] = 3000,
    latency_seconds: Annotated[float, typer.Option(help="paced run for latency")] = 30.0,
    rounds: Annotated[int, typer.Option(help="bare and end-to-end take turns this often")] = 3,
    latency_rate: Annotated[
        float | None, typer.Option(help="records/s of the paced run (default: half of max)")
    ] = None,
    json_out: Annotated[Path, typer.Option("--json")] = Path("bench-stream.json"),
) -> None:
    """Worker end-to-end throughput vs bare score_batch, and latency at half load (one run)."""
    from stream.bench.stream import bench_stream

    result = bench_stream(ctx.obj, records, latency_seconds, rounds, latency_rate)
    _measures("bench stream (embedded broker, one worker, same texts)", result, json_out)


@bench.command("lifecycle")
@user_errors
def bench_lifecycle_cmd(
    ctx: typer.Context,
    records: Annotated[int, typer.Option(help="backlog size per round")] = 2000,
    rounds: Annotated[int, typer.Option(help="plain and shadow take turns this often")] = 3,
    shadow_share: Annotated[float, typer.Option(help="share of records shadow-scored")] = 0.1,
    swap_seconds: Annotated[float, typer.Option(help="paced run with a promotion midway")] = 40.0,
    json_out: Annotated[Path, typer.Option("--json")] = Path("bench-lifecycle.json"),
) -> None:
    """Shadow scoring's cost (worker with vs without, interleaved) and a swap under load."""
    from stream.bench.lifecycle import bench_lifecycle

    _quiet_clients()
    result = bench_lifecycle(ctx.obj, records, rounds, shadow_share, swap_seconds)
    _measures("bench lifecycle (embedded broker, two workers)", result, json_out)


@bench.command("soak")
@user_errors
def bench_soak_cmd(
    ctx: typer.Context,
    seconds: Annotated[float, typer.Option(help="how long the feed runs")] = 300.0,
    rate: Annotated[float, typer.Option(help="records per second of the demo's mix")] = 100.0,
    json_out: Annotated[Path, typer.Option("--json")] = Path("bench-soak.json"),
) -> None:
    """The demo feed for a while: worker RSS slope and window changelog bytes per record."""
    from stream.bench.state import bench_soak

    _quiet_clients()
    result = bench_soak(ctx.obj, seconds, rate)
    _measures("bench soak (embedded broker, one worker, demo feed)", result, json_out)


@bench.command("keys")
@user_errors
def bench_keys_cmd(
    ctx: typer.Context,
    accounts: Annotated[int, typer.Option(help="distinct accounts, one transaction each")] = (
        1_000_000
    ),
    first: Annotated[int, typer.Option(help="RSS is compared with that after this many")] = (
        10_000
    ),
    hours: Annotated[float, typer.Option(help="event time the transactions span")] = 2.0,
    json_out: Annotated[Path, typer.Option("--json")] = Path("bench-keys.json"),
) -> None:
    """Worker RSS after many distinct account keys vs after the first few (bounded state)."""
    from stream.bench.state import bench_keys

    _quiet_clients()
    result = bench_keys(ctx.obj, accounts, first, hours)
    _measures(
        "bench keys (embedded broker, one worker, one new account per record)", result, json_out
    )


@bench.command("model")
@user_errors
def bench_model_cmd(
    texts: Annotated[
        Path | None,
        typer.Option(help="CSV/JSONL with a text column (default: the sample feed's headlines)"),
    ] = None,
    limit: int = 2048,
    batch_size: Annotated[list[int], typer.Option()] = [1, 32],  # noqa: B006
    threads: int = 2,
    seconds: Annotated[float, typer.Option(help="timed seconds per engine and batch size")] = 8.0,
    rounds: Annotated[int, typer.Option(help="engines take turns this many times")] = 4,
    model_dir: Annotated[Path | None, typer.Option()] = None,
    torch_model: Annotated[Path | None, typer.Option(help="training dir for torch")] = Path(
        "build/train"
    ),
    include_torch: Annotated[
        bool, typer.Option("--torch/--no-torch", help="include the torch eager baseline")
    ] = True,
    json_out: Annotated[Path, typer.Option("--json")] = Path("bench-model.json"),
) -> None:
    """torch eager fp32 vs ORT fp32 vs ORT int8 (vs CUDA fp16), same texts, one run."""
    from models.datasets import load_labelled
    from models.tasks import NEWS
    from stream.bench.machine import describe, machine
    from stream.bench.model import bench_model
    from stream.demo.sample import labelled_headlines

    if texts is None:  # the project's own texts: a clone with nothing beside it can bench
        sample = [text for text, _ in labelled_headlines(limit)]
    else:
        sample = list(load_labelled(texts, NEWS).texts[:limit])
    result = bench_model(
        sample,
        model_dir=model_dir,
        torch_model=torch_model,
        batch_sizes=batch_size,
        threads=threads,
        seconds=seconds,
        rounds=rounds,
        include_torch=include_torch,
    )
    result["machine"] = machine()
    table = Table(
        title=f"bench model — {result['model']}, {result['texts']} texts, {threads} threads "
        f"(ORT CPU: {threads} chunks side by side, one thread each), "
        f"{rounds} interleaved rounds (ratios: median per round), GPU: {result['gpu']['reason']}"
        f"; CPU: {describe(result['machine'])}"
    )
    for col in ("engine", "batch", "sentences/s", "p50 ms", "p99 ms", "× torch", "× int8 CPU"):
        table.add_column(col)
    for r in result["rows"]:
        table.add_row(
            r["engine"],
            str(r["batch_size"]),
            f"{r['sentences_per_s']:.1f}",
            f"{r['p50_ms']:.1f}",
            f"{r['p99_ms']:.1f}",
            "" if r["ratio_vs_torch"] is None else f"{r['ratio_vs_torch']:.2f}",
            "" if r["ratio_vs_int8"] is None else f"{r['ratio_vs_int8']:.2f}",
        )
    Console().print(table)
    json_out.write_bytes(orjson.dumps(result, option=orjson.OPT_INDENT_2))
    console.print(f"wrote {json_out}")


@bench.command("rescore")
@user_errors
def bench_rescore_cmd(
    ctx: typer.Context,
    rows: Annotated[int, typer.Option(help="records for the throughput runs")] = 4096,
    rounds: Annotated[int, typer.Option(min=1, help="alternating bare/rescore rounds")] = 3,
    chunk_size: Annotated[int, typer.Option(min=1)] = 512,
    small: Annotated[int, typer.Option(help="rows of the smaller memory run")] = 100_000,
    large: Annotated[int, typer.Option(help="rows of the larger memory run")] = 1_000_000,
    memory_scorer: Annotated[Literal["stand-in", "model"], typer.Option()] = "stand-in",
    json_out: Annotated[Path, typer.Option("--json")] = Path("bench-rescore.json"),
) -> None:
    """Rescore throughput vs bare score_batch (one run) and peak memory vs input size."""
    from stream.bench.machine import describe, machine
    from stream.bench.rescore import bench_rescore

    result = bench_rescore(ctx.obj, rows, rounds, chunk_size, (small, large), memory_scorer)
    result["machine"] = machine()
    table = Table(title=f"bench rescore on {describe(result['machine'])}")
    table.add_column("measure")
    table.add_column("value", justify="right")
    for key, value in result.items():
        if key not in ("memory", "machine"):
            table.add_row(key, str(value))
    for m in result["memory"]:
        table.add_row(
            f"memory {m['rows']:,} rows", f"peak {m['peak_rss_mb']} MB in {m['seconds']} s"
        )
    Console().print(table)
    json_out.write_bytes(orjson.dumps(result, option=orjson.OPT_INDENT_2))
    Console(stderr=True).print(f"wrote {json_out}")
