#!/usr/bin/env bash
# Training throughput of `tiny` (batch 16 x ctx 128, KJV with the 2048-token BPE, as bench/run.sh)
# under each combination of LibTorch intra-op (OpenMP) threads and OpenBLAS threads, interleaved
# over several rounds.
# Prints the median tokens/s of each setting. usage: bench/threads.sh [build dir] [rounds] [steps] [model]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
rounds=${2:-3}
steps=${3:-80}
model=${4:-tiny}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
settings=("1 1" "2 1" "1 2" "2 2")
for round in $(seq 1 "$rounds"); do
  for s in "${settings[@]}"; do
    set -- $s
    ATTNLAB_INTRA_THREADS=$1 ATTNLAB_BLAS_THREADS=$2 "$build/attnlab" run model="$model" data=kjv data.tokenizer=bpe data.vocab_size=2048 \
      train.steps="$steps" train.seq_len=128 \
      train.batch_size=16 train.eval_every=100000 train.log_every=5 train.checkpoint_every=0 \
      out_dir="$out/intra$1_blas$2_r$round" > /dev/null
  done
done
/usr/bin/python3 - "$out" <<'PY'
import glob, statistics, sys, h5py
print("| OpenMP intra-op threads | OpenBLAS threads | tokens/s (median over rounds, 5-step intervals after the first) |")
print("| --- | --- | --- |")
for intra, blas in [(1, 1), (2, 1), (1, 2), (2, 2)]:
    rates = []
    for path in glob.glob(f"{sys.argv[1]}/intra{intra}_blas{blas}_r*/default/*/run.h5"):
        with h5py.File(path, "r") as f:
            rates += list(f["train/tokens_per_s"][1:])  # the first interval includes warm-up
    print(f"| {intra} | {blas} | {statistics.median(rates):.0f} |")
PY
