#!/usr/bin/env bash
# The whole test suite: lint, types, unit and tutorial tests, notebooks, Binder, Ray, and the browser tests
# in a real JupyterLab with headless Chromium. Installs everything first (see setup.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/ruff check syft_widgets tests benchmarks hatch_build.py
.venv/bin/mypy
.venv/bin/python -m pytest "$@"
