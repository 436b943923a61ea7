#!/usr/bin/env bash
# Installs the Python peer's dependency for bench/run.sh: Debian's python3-torch (the same LibTorch
# 1.13 and BLAS as attnlab's build). Not needed to build or test attnlab.
set -euo pipefail
if /usr/bin/python3 -c "import torch" 2>/dev/null; then echo "[bench] python3-torch present"; exit 0; fi
sudo_cmd=()
[ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)
"${sudo_cmd[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends python3-torch python3-h5py
