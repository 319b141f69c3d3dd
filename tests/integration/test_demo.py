"""``finsentry demo``, the README's main job: its own broker, worker and feed; alerts fire."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from stream.kafka.broker import free_port

pytestmark = [pytest.mark.kafka, pytest.mark.slow]


def test_the_demo_all_at_once_prints_the_injected_alerts_and_stops_cleanly():
    env = {**os.environ, "FINSENTRY_METRICS__PORT": str(free_port()), "COLUMNS": "200"}
    done = subprocess.run(
        [sys.executable, "-m", "stream", "demo", "--speed", "0", "--exit-after", "50"],
        env=env,
        capture_output=True,
        text=True,
        timeout=150,
        check=False,
    )
    out = done.stdout + done.stderr
    assert done.returncode == 0, out[-3000:]
    assert "metrics:  http://127.0.0.1:" in out
    # the injected negative-news surge fires once and resolves; the risky burst fires
    assert out.count("FIRING   negative_surge on ticker:JPM") == 1, out[-3000:]
    assert out.count("RESOLVED negative_surge on ticker:JPM") == 1, out[-3000:]
    assert "FIRING   risk_spike on merchant:crypto_exchange" in out, out[-3000:]
    assert "Traceback" not in out
