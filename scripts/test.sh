#!/usr/bin/env bash
# The project's checks: lint, types, then every test that this machine can run.
# GPU tests run only where onnxruntime's CUDA provider loads (add: -m gpu).
set -euo pipefail
cd "$(dirname "$0")/.."
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
bash scripts/install-test-tools.sh   # real Prometheus, Alertmanager and tmux for their tests
.venv/bin/ruff check stream models exporters tests
.venv/bin/ruff format --check stream models exporters tests
.venv/bin/mypy
.venv/bin/python -m pytest -m "not gpu" "$@"
