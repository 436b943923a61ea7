#!/usr/bin/env bash
# Sets up attnlab and runs the quick-start study (experiments/quickstart.yaml: a 3-job sweep on the
# tiny model, char-level Moby Dick), then prints its perplexity table (attnlab report).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
build_dir=${ATTNLAB_BUILD_DIR:-build}
"$build_dir/attnlab" run experiments/quickstart.yaml "$@"
latest=$(ls -1dt runs/quickstart/*/ | head -n 1)
"$build_dir/attnlab" report "$latest"
