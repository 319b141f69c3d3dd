#!/usr/bin/env bash
# Create .venv and install finsentry with its training and dev extras (one pip command: see
# ../shared/design/model.md for why). Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e '.[train,dev]'
echo "finsentry installed in .venv ($(.venv/bin/python -c 'import onnxruntime as o; print("onnxruntime", o.__version__)'))"
