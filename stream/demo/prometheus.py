"""``finsentry demo --prometheus``: a real Prometheus with the repository's rules scraping the
demo's worker (where a ``prometheus`` binary is on PATH)."""

from __future__ import annotations

import contextlib
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import orjson
from rich.console import Console

from stream.kafka.broker import free_port, wait_for_port

__all__ = ["RULES_DIR", "demo_prometheus"]

RULES_DIR = Path(__file__).resolve().parents[2] / "deploy" / "prometheus" / "rules"


@contextlib.contextmanager
def demo_prometheus(workdir: Path, metrics_port: int, console: Console) -> Iterator[str | None]:
    """Yields Prometheus's URL, or None (and says why) when it cannot be started."""
    binary = shutil.which("prometheus")
    rules = sorted(RULES_DIR.glob("*.yml"))
    if binary is None or not rules:
        why = "no prometheus binary on PATH" if binary is None else f"no rules in {RULES_DIR}"
        console.print(f"[yellow]--prometheus: {why}; going on without it[/yellow]")
        yield None
        return
    port = free_port()
    config = {  # YAML is a superset of JSON
        "global": {"scrape_interval": "2s", "evaluation_interval": "2s"},
        "rule_files": [str(r) for r in rules],
        "scrape_configs": [
            {
                "job_name": "finsentry",
                "static_configs": [{"targets": [f"127.0.0.1:{metrics_port}"]}],
            }
        ],
    }
    path = workdir / "prometheus.yml"
    path.write_bytes(orjson.dumps(config))
    with (workdir / "prometheus.log").open("ab") as log:
        proc = subprocess.Popen(  # noqa: S603 - a binary from PATH, our own arguments
            [
                binary,
                f"--config.file={path}",
                f"--storage.tsdb.path={workdir / 'tsdb'}",
                f"--web.listen-address=127.0.0.1:{port}",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        if not wait_for_port("127.0.0.1", port, 20):
            console.print(f"[yellow]--prometheus did not start: see {workdir}/prometheus.log[/]")
            yield None
        else:
            yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
