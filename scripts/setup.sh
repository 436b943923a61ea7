#!/usr/bin/env bash
# Sets up attnlab on Debian 12: system packages (LibTorch + OpenBLAS, yaml-cpp, fmt, Catch2, HDF5,
# CLI11, SentencePiece, CMake, Ninja; h5py and PyTorch for the tests' independent checks; Slurm and
# munge, for the Slurm launcher's test against a real local Slurm), the corpora under data/, and a Release build in build/.
# Idempotent: every step is skipped when already done. Environment knobs:
#   ATTNLAB_BUILD_DIR (default build), ATTNLAB_SKIP_DATA=1, ATTNLAB_SKIP_BUILD=1, ATTNLAB_JOBS (default: cores)
set -euo pipefail
cd "$(dirname "$0")/.."

build_dir=${ATTNLAB_BUILD_DIR:-build}
jobs=${ATTNLAB_JOBS:-$(nproc)}
packages=(
  g++ cmake ninja-build pkg-config git clang-14 libclang-rt-14-dev
  libtorch-dev libgloo-dev libopenblas0-pthread
  libyaml-cpp-dev libfmt-dev catch2 libhdf5-dev libcli11-dev libsentencepiece-dev libgoogle-perftools-dev
  bible-kjv bible-kjv-text python3-h5py python3-torch
  slurm-wlm munge
)
command -v npm >/dev/null 2>&1 || packages+=(npm)

log() { printf '[setup] %s\n' "$*"; }

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "setup: run as root or install sudo" >&2; exit 2; }
  sudo_cmd=(sudo)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  log "installing: ${missing[*]}"
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  log "system packages present"
fi

# LibTorch links libblas.so.3; without OpenBLAS as the active alternative it uses the reference BLAS (~10x slower).
blas_link=libblas.so.3-x86_64-linux-gnu
openblas=/usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3
if [ -e "$openblas" ] && [ "$(readlink -f /usr/lib/x86_64-linux-gnu/libblas.so.3)" != "$(readlink -f "$openblas")" ]; then
  log "selecting OpenBLAS as libblas.so.3"
  "${sudo_cmd[@]}" update-alternatives --set "$blas_link" "$openblas"
fi

if [ "${ATTNLAB_SKIP_DATA:-0}" != 1 ]; then
  bash scripts/fetch_corpora.sh data
fi

if [ "${ATTNLAB_SKIP_BUILD:-0}" != 1 ]; then
  if [ ! -f "$build_dir/build.ninja" ]; then
    log "configuring $build_dir (Release)"
    cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
  fi
  log "building with $jobs jobs"
  cmake --build "$build_dir" -j "$jobs"
fi
log "done"
