#!/usr/bin/env bash
# The main job: install what is missing, then open the course in JupyterLab on its index.
# Extra arguments go to `jupyter lab` (e.g. --no-browser --port=8890).
# SYFT_WIDGETS_SKIP_SETUP=1 skips the set-up step on a machine that is already set up.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "${SYFT_WIDGETS_SKIP_SETUP:-0}" = 1 ] || bash scripts/setup.sh
# The course's JupyterLab settings (no "Jupyter news?" prompt, no update check) live in this
# repository, in jupyter/labconfig/default_setting_overrides.json: JupyterLab reads that file from every
# folder on JUPYTER_CONFIG_PATH, so the learner's own ~/.jupyter is left untouched.
export JUPYTER_CONFIG_PATH="$PWD/jupyter${JUPYTER_CONFIG_PATH:+:$JUPYTER_CONFIG_PATH}"
# The course index is the landing page: the printed link and the browser (if any) open it.
args=(--ServerApp.root_dir="$PWD/notebooks" --LabApp.default_url=/lab/tree/index.ipynb --ip=127.0.0.1)
[ "$(id -u)" = 0 ] && args+=(--allow-root)
exec .venv/bin/jupyter lab "${args[@]}" "$@"
