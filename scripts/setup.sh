#!/usr/bin/env bash
# Install everything syft-widgets needs, on a fresh Debian machine as root or on a machine that has it all:
# system packages (graphviz, chromium, Bengali fonts, Node.js for the front end), a virtual environment
# in .venv, and the package with its test and Ray extras. Safe to run again: it skips what is there.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v dot >/dev/null || missing+=(graphviz)
command -v chromium >/dev/null || missing+=(chromium)
dpkg -s fonts-noto-core >/dev/null 2>&1 || missing+=(fonts-noto-core)  # Noto Sans Bengali
command -v npm >/dev/null || missing+=(nodejs npm)
python3 -m venv --help >/dev/null 2>&1 || missing+=(python3-venv python3-pip)
command -v python3 >/dev/null || missing+=(python3)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "syft-widgets needs these Debian packages: ${missing[*]}; run this script as root, or install them." >&2
    exit 1
  fi
  echo "Installing Debian packages: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  echo "syft-widgets needs Python 3.11 or newer; python3 is $(python3 -V 2>&1). Install a newer python3." >&2
  exit 1
fi
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
# constraints.txt pins the tested torch (2.13.0, the CPU build): a bare "torch" would pull a CUDA build.
.venv/bin/python -m pip install -q -c constraints.txt -e ".[dev,ray]"
