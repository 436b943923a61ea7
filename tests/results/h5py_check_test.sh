#!/bin/bash
# Writes a run file with attnlab_results_writer and checks schema and values with h5py.
# usage: h5py_check_test.sh WRITER check_run_h5.py   (ATTNLAB_PYTHON: a python with h5py)
set -euo pipefail
writer=$1 check=$2 python=${ATTNLAB_PYTHON:-/usr/bin/python3}
"$python" -c "import h5py" 2>/dev/null || { echo "skip: no h5py for $python"; exit 77; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
"$writer" "$dir/run.h5" 10 "$dir/progress.txt" 95
"$python" "$check" "$dir/run.h5" --status completed --rows train=95 --rows eval=9 --synthetic 95 \
  --expect seed=7 --expect schema_version=2 --expect train/step[-1]=94 --expect train/loss[3]=2.5 \
  --expect eval/split[0]=val --expect eval/ppl[-1]=90 --expect eval/bpc[0]=0.2
