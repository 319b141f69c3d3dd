"""``top --once`` against a worker that is down: it says so and exits 0."""

from __future__ import annotations

from rich.console import Console

from stream.kafka.broker import free_port
from stream.top.run import run_top


def test_a_worker_that_is_down_is_reported_not_a_traceback():
    console = Console(width=80, record=True, color_system=None)
    url = f"http://127.0.0.1:{free_port()}/metrics"
    assert run_top(url, once=True, console=console) == 0
    text = console.export_text()
    assert f"the worker at {url} is not answering" in text and "retrying" in text
