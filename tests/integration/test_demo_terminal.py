"""The demo in a real terminal (tmux): the dashboard renders at 80x24 while the story plays,
and Ctrl-C stops everything with no process left behind."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from stream.kafka.broker import free_port

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]


def _tmux(*args: str) -> str:
    return subprocess.run(
        ["tmux", *args], capture_output=True, text=True, check=True, timeout=10
    ).stdout


def _left_behind(marker: str) -> list[int]:
    """Processes whose environment carries ``marker`` (the demo's worker and broker)."""
    found = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                if marker.encode() in (proc / "environ").read_bytes():
                    found.append(int(proc.name))
            except OSError:
                continue
    return found


def test_the_demo_shows_the_dashboard_and_ctrl_c_stops_everything(tmp_path):
    if shutil.which("tmux") is None:
        pytest.fail("tmux not found: apt-get install tmux (scripts/install-test-tools.sh does)")
    session, marker = f"fs-{uuid.uuid4().hex[:8]}", f"demo-pty-{uuid.uuid4().hex[:8]}"
    command = (  # the shell outlives Ctrl-C (its trap) to print the demo's exit status
        f"cd {ROOT} && trap true INT && env FINSENTRY_KAFKA__GROUP_ID={marker} "
        f"FINSENTRY_METRICS__PORT={free_port()} {sys.executable} -m stream demo --speed 90; "
        'echo "demo exit status $?"'
    )
    _tmux("new-session", "-d", "-s", session, "-x", "80", "-y", "24")
    try:
        _tmux("set-option", "-t", session, "remain-on-exit", "on")
        _tmux("respawn-pane", "-k", "-t", session, command)
        screen, deadline = "", time.monotonic() + 150
        while time.monotonic() < deadline:
            screen = _tmux("capture-pane", "-p", "-t", session)
            if "finsentry top" in screen and "FIRING negative_surge on ticker:JPM" in screen:
                break
            time.sleep(1)
        (tmp_path / "screen.txt").write_text(screen)
        assert "finsentry top" in screen, screen
        assert "FIRING negative_surge on ticker:JPM" in screen, screen
        lines = screen.rstrip("\n").split("\n")
        assert len(lines) <= 24 and max(len(line) for line in lines) <= 80, screen
        _tmux("send-keys", "-t", session, "p")  # a key: only ticker: subjects
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            screen = _tmux("capture-pane", "-p", "-t", session)
            if "prefix ticker:" in screen:
                break
            time.sleep(0.5)
        table = screen.split("subject")[-1]
        assert "prefix ticker:" in screen and "ticker:JPM" in table, screen
        assert "merchant:" not in table, screen
        assert _left_behind(marker), "the demo's worker and broker should be running"
        _tmux("send-keys", "-t", session, "C-c")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if _tmux("display-message", "-p", "-t", session, "#{pane_dead}").strip() == "1":
                break
            time.sleep(0.5)
        assert _tmux("display-message", "-p", "-t", session, "#{pane_dead}").strip() == "1"
        after = _tmux("capture-pane", "-p", "-t", session)
        assert "demo exit status 0" in after, after  # a clean exit, not killed by the signal
        assert "stopping" in after and "Traceback" not in after, after
        assert _left_behind(marker) == [], "Ctrl-C left processes behind"
    finally:  # a hang-up stops the demo like Ctrl-C: nothing is left behind even on failure
        subprocess.run(["tmux", "kill-session", "-t", session], check=False, timeout=10)
        deadline = time.monotonic() + 30
        while _left_behind(marker) and time.monotonic() < deadline:
            time.sleep(0.5)


def test_closing_the_terminal_stops_the_demo_and_its_processes():
    if shutil.which("tmux") is None:
        pytest.fail("tmux not found: apt-get install tmux (scripts/install-test-tools.sh does)")
    session, marker = f"fs-{uuid.uuid4().hex[:8]}", f"demo-hup-{uuid.uuid4().hex[:8]}"
    command = (
        f"cd {ROOT} && exec env FINSENTRY_KAFKA__GROUP_ID={marker} "
        f"FINSENTRY_METRICS__PORT={free_port()} {sys.executable} -m stream demo --speed 90"
    )
    _tmux("new-session", "-d", "-s", session, "-x", "80", "-y", "24", command)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and len(_left_behind(marker)) < 3:  # demo, worker, broker
        time.sleep(0.5)
    assert len(_left_behind(marker)) >= 3
    time.sleep(3)
    subprocess.run(["tmux", "kill-session", "-t", session], check=True, timeout=10)  # SIGHUP
    deadline = time.monotonic() + 40
    while _left_behind(marker) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert _left_behind(marker) == [], "closing the terminal left processes behind"
