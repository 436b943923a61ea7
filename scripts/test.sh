#!/usr/bin/env bash
# Sets up attnlab (scripts/setup.sh: packages, corpora, Release build) and runs the whole test
# suite with CTest. Extra arguments go to ctest (e.g. -R config).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
build_dir=${ATTNLAB_BUILD_DIR:-build}
ctest --test-dir "$build_dir" --output-on-failure -j "$(nproc)" "$@"
