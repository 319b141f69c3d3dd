#!/usr/bin/env bash
# The real tools some tests drive, from Debian: Prometheus (promtool) and Alertmanager (amtool)
# for the monitoring tests, tmux for the terminal tests. Does nothing when they are installed.
set -euo pipefail
if command -v promtool >/dev/null && command -v amtool >/dev/null && command -v tmux >/dev/null \
    && { command -v prometheus-alertmanager >/dev/null || command -v alertmanager >/dev/null; }; then
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
if ! command -v apt-get >/dev/null; then
  echo "install Prometheus, Alertmanager (promtool, amtool) and tmux with your package manager" >&2
  exit 1
fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
  prometheus prometheus-alertmanager tmux >/dev/null
echo "installed $(promtool --version 2>&1 | head -1), $(tmux -V)"
