#!/usr/bin/env bash
# Prometheus (promtool) and Alertmanager (amtool) for the real-component tests, from Debian.
# Does nothing when they are already installed.
set -euo pipefail
if command -v promtool >/dev/null && command -v amtool >/dev/null \
    && { command -v prometheus-alertmanager >/dev/null || command -v alertmanager >/dev/null; }; then
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
if ! command -v apt-get >/dev/null; then
  echo "install Prometheus and Alertmanager (promtool, amtool) with your package manager" >&2
  exit 1
fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
  prometheus prometheus-alertmanager >/dev/null
echo "installed $(promtool --version 2>&1 | head -1)"
