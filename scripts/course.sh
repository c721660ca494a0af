#!/usr/bin/env bash
# The main job: install what is missing, then open the course in JupyterLab on its index.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# The course index is the landing page: the printed link and the browser (if any) open it.
args=(--ServerApp.root_dir="$PWD/notebooks" --LabApp.default_url=/lab/tree/index.ipynb --ip=127.0.0.1)
[ "$(id -u)" = 0 ] && args+=(--allow-root)
exec .venv/bin/jupyter lab "${args[@]}" "$@"
