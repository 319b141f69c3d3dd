"""``finsentry worker`` as a child process: the demo, ``bench stream`` and the integration
tests start real workers this way (no faust in the parent)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from stream.settings import Settings

__all__ = ["start_worker", "stop_worker"]


def start_worker(
    settings: Settings,
    bootstrap: str,
    metrics_port: int,
    log_path: Path,
    extra_env: dict[str, str] | None = None,
) -> subprocess.Popen[bytes]:
    """Start ``finsentry worker`` as a child process pointed at ``bootstrap``."""
    env = {
        **os.environ,
        "FINSENTRY_KAFKA__BOOTSTRAP_SERVERS": bootstrap,
        "FINSENTRY_METRICS__PORT": str(metrics_port),
        "FINSENTRY_KAFKA__GROUP_ID": settings.kafka.group_id,
        **(extra_env or {}),
    }
    out = log_path.open("ab")
    return subprocess.Popen(
        [sys.executable, "-m", "stream", "worker"],
        env=env,
        stdout=out,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def stop_worker(proc: subprocess.Popen[bytes], timeout_s: float = 15.0) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout_s)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
