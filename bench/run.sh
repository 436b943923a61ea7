#!/usr/bin/env bash
# attnlab's performance benchmarks, in one invocation, on this machine (see bench/RESULTS.md):
#  1. fp32 GEMM GFLOP/s of the machine's BLAS (the MFU denominator);
#  2. training tokens/s, attnlab vs its Python PyTorch peer (bench/peer/peer.py, same architecture),
#     tiny and small at batch 16 x ctx 128 and 256, with each side's model FLOP utilisation;
#  3. prefill tokens/s and decoding with a KV cache at batch 1 and 8, attnlab vs the peer;
#  4. eviction overhead: scissorhands at ratio 5 vs full attention at the same mean cache length;
#  5. memory vs context 256..4096 (peak RSS, KV bytes; full and scissorhands ratio 5; the peer);
#  6. decode ms/token vs context for the recurrent (linear-time) mixers taylor and elu1 and softmax;
#  7. training tokens/s of every mixer config relative to softmax;
#  8. the BLAS kernels: tiny training on OpenBLAS's own core, on the Prescott fallback it loads on a
#     CPU it does not know, and on that fallback replaced by attnlab (core/blas_core.h);
#  9. probe-task data: generating each task's sets and batches vs a training step of the probe model.
# Every A/B pair runs interleaved over `rounds` (medians reported), so machine noise hits both sides.
# Prints Markdown to stdout; the raw measurements go to $ATTNLAB_BENCH_OUT (default bench/out).
#   bash bench/run.sh [rounds] [sections]     sections: any of gemm,train,decode,evict,memory,linear,mixers,blas,taskdata
# Needs python3-torch (bash bench/setup_peer.sh) and a Release build (scripts/setup.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
sections=${2:-gemm,train,decode,evict,memory,linear,mixers,blas,taskdata}
build=${ATTNLAB_BUILD_DIR:-build}
python=/usr/bin/python3
"$python" -c "import torch, h5py" 2>/dev/null || { echo "bench: no python3-torch/h5py; run bash bench/setup_peer.sh" >&2; exit 2; }
[ -x "$build/attnlab" ] && [ -x "$build/attnlab_bench" ] || { echo "bench: no $build/attnlab; run bash scripts/setup.sh" >&2; exit 2; }
for binary in attnlab attnlab_bench; do  # one stale binary refuses the other's run configs
  if [ "$build/framework/libattnlab_framework.a" -nt "$build/$binary" ]; then
    echo "bench: $build/$binary is older than the framework it links: rebuild everything (cmake --build $build)" >&2; exit 2
  fi
done
out=${ATTNLAB_BENCH_OUT:-bench/out}
mkdir -p "$out"
results="$out/results.jsonl"
: > "$results"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
want() { [[ ",$sections," == *",$1,"* ]]; }
note() { echo "[bench $(date +%H:%M:%S)] $*" >&2; }
record() { echo "$1" >> "$results"; }
json_field() { "$python" -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }

data="data=kjv data.tokenizer=bpe data.vocab_size=2048"
declare -A shape=([tiny]="4 128 4" [small]="6 256 8")  # layers d_model heads (configs/model/*.yaml)
train_steps=30

attnlab_train() {  # model seq [overrides...] -> tokens/s (median of the 5-step /train intervals after the first two)
  local model=$1 seq=$2 dir="$work/train_$RANDOM$RANDOM"
  shift 2
  env ${train_env:-} "$build/attnlab" run model="$model" $data train.seq_len="$seq" train.batch_size=16 train.steps=$train_steps \
    train.log_every=5 train.eval_every=100000 train.checkpoint_every=0 eval.max_windows=1 out_dir="$dir" "$@" > /dev/null
  "$python" - "$dir" <<'PY'
import glob, statistics, sys, h5py
with h5py.File(glob.glob(f"{sys.argv[1]}/*/*/run.h5")[0], "r") as f:
    print(statistics.median(f["train/tokens_per_s"][2:]))
PY
  rm -rf "$dir"
}

# The peer runs twice: with PyTorch's defaults (intra-op threads = cores, OpenBLAS threads = cores:
# what a nanoGPT-style script gets) and "matched" to attnlab's thread policy (intra-op 1, OpenBLAS
# threads = cores), so the ratio at matched threads isolates the code from the thread policy.
peer_env() {  # default|matched -> env assignments
  if [ "$1" = matched ]; then echo "OPENBLAS_NUM_THREADS=$(nproc) ATTNLAB_PEER_THREADS=1"; else echo "ATTNLAB_PEER_THREADS=0"; fi
}

peer_train() {  # model seq policy -> tokens/s (median step time after 10 warm-up steps)
  local policy=$3
  set -- "$1" "$2" ${shape[$1]}
  env $(peer_env "$policy") "$python" bench/peer/peer.py train --layers "$3" --d-model "$4" --heads "$5" --vocab 2048 --batch 16 --seq "$2" \
    --steps $train_steps --warmup 10 | json_field tokens_per_s
}

trained_run() {  # name mixer -> a run dir of `tiny` with that mixer, ctx 4096 (weights do not matter for speed)
  local dir="$work/run_$1"
  if [ ! -d "$dir" ]; then
    "$build/attnlab" run model=tiny mixer="$2" model.ctx=4096 $data train.seq_len=256 train.batch_size=2 \
      train.steps=1 train.eval_every=1 eval.max_windows=8 out_dir="$dir" > /dev/null
  fi
  ls -d "$dir"/*/*/
}

attnlab_decode() {  # run batch context policy prompt [ratio] -> one JSON line
  "$build/attnlab_bench" decode "$1" --batch "$2" --contexts "$3" --policies "$4" --prompt "$5" --ratio "${6:-5}" \
    --rounds 1 --jsonl
}

peer_decode() {  # batch context prompt [policy] -> one JSON line
  env $(peer_env "${4:-default}") "$python" bench/peer/peer.py decode --layers 4 --d-model 128 --heads 4 --vocab 2048 --batch "$1" --context "$2" \
    --prompt "$3"
}

if want gemm; then
  note "GEMM"
  for round in $(seq 1 "$rounds"); do
    record "$("$python" bench/peer/peer.py gemm --size 1024 | sed 's/"case": "gemm"/"case": "gemm", "side": "torch"/')"
  done
fi

if want train; then
  for round in $(seq 1 "$rounds"); do
    for model in tiny small; do
      for seq in 128 256; do
        note "train round $round: $model x $seq"
        record "{\"case\": \"train\", \"side\": \"attnlab\", \"model\": \"$model\", \"seq\": $seq, \"value\": $(attnlab_train $model $seq)}"
        for policy in default matched; do
          record "{\"case\": \"train\", \"side\": \"peer_$policy\", \"model\": \"$model\", \"seq\": $seq, \"value\": $(peer_train $model $seq $policy)}"
        done
      done
    done
  done
fi

if want decode; then
  run=$(trained_run softmax softmax)
  for round in $(seq 1 "$rounds"); do
    note "decode round $round"
    for batch in 1 8; do
      record "{\"case\": \"decode\", \"side\": \"attnlab\", \"row\": $(attnlab_decode "$run" $batch 256 full 32)}"
      for policy in default matched; do
        record "{\"case\": \"decode\", \"side\": \"peer_$policy\", \"batch\": $batch, \"row\": $(peer_decode $batch 256 32 $policy)}"
      done
    done
    record "{\"case\": \"prefill\", \"side\": \"attnlab\", \"row\": $(attnlab_decode "$run" 1 520 full 512)}"
    for policy in default matched; do
      record "{\"case\": \"prefill\", \"side\": \"peer_$policy\", \"row\": $(peer_decode 1 520 512 $policy)}"
    done
  done
fi

if want evict; then
  # scissorhands decodes 1024 tokens under a budget of 1024/5; the reference is full attention decoding
  # 128 steps around the same mean cache length (prompt = mean - 64), so both attend over equally long caches.
  run=$(trained_run softmax softmax)
  for round in $(seq 1 $((rounds > 5 ? rounds : 5))); do  # at least 5: the two sides run in separate processes
    note "eviction round $round"
    for batch in 1 8; do
      row=$(attnlab_decode "$run" $batch 1024 scissorhands 32)
      record "{\"case\": \"evict\", \"side\": \"scissorhands\", \"row\": $row}"
      mean=$(echo "$row" | json_field mean_cache_tokens)
      prompt=$("$python" -c "print(max(1, round($mean) - 64))")
      record "{\"case\": \"evict\", \"side\": \"full\", \"row\": $(attnlab_decode "$run" $batch $((prompt + 128)) full $prompt)}"
    done
  done
fi

if want memory; then
  run=$(trained_run softmax softmax)
  for context in 256 512 1024 2048 4096; do  # one process per setting: peak RSS is per process
    note "memory: context $context"
    record "{\"case\": \"memory\", \"side\": \"attnlab\", \"policy\": \"full\", \"row\": $(attnlab_decode "$run" 1 $context full 32)}"
    record "{\"case\": \"memory\", \"side\": \"attnlab\", \"policy\": \"scissorhands\", \"row\": $(attnlab_decode "$run" 1 $context scissorhands 32)}"
    record "{\"case\": \"memory\", \"side\": \"peer\", \"policy\": \"full\", \"row\": $(peer_decode 1 $context 32)}"
  done
fi

if want linear; then
  for mixer in softmax taylor elu1; do
    run=$(trained_run "$mixer" "$mixer")
    note "linear-time decode: $mixer"
    for context in 256 1024 4096; do
      # ms/step over the last 224 steps before `context`, so each setting measures its own cache length
      record "{\"case\": \"linear\", \"mixer\": \"$mixer\", \"row\": $(attnlab_decode "$run" 1 $context full $((context - 224)))}"
    done
  done
fi

if want mixers; then
  mixers=$(ls configs/mixer | sed 's/\.yaml$//')
  for round in $(seq 1 "$rounds"); do
    for mixer in $mixers; do
      note "mixer round $round: $mixer"
      record "{\"case\": \"mixer\", \"mixer\": \"$mixer\", \"value\": $(attnlab_train tiny 128 mixer="$mixer")}"
    done
  done
fi

if want blas; then
  # OPENBLAS_CORETYPE=Prescott stands in for OpenBLAS's fallback on a CPU it does not know (an
  # Intel Xeon of family 6 model 207 under Debian's 0.3.21); ATTNLAB_BLAS_SIMULATE_FALLBACK=1 makes
  # attnlab treat it as OpenBLAS's own choice, which it then replaces.
  for round in $(seq 1 "$rounds"); do
    for mode in own fallback replaced; do
      case $mode in
        own) train_env="" ;;
        fallback) train_env="OPENBLAS_CORETYPE=Prescott" ;;
        replaced) train_env="OPENBLAS_CORETYPE=Prescott ATTNLAB_BLAS_SIMULATE_FALLBACK=1" ;;
      esac
      note "blas round $round: $mode"
      record "{\"case\": \"blas\", \"mode\": \"$mode\", \"value\": $(attnlab_train tiny 128)}"
    done
  done
  train_env=""
fi

"$python" bench/report.py "$results"

if want taskdata; then  # its own Markdown table, measured side by side in one process
  note "taskdata"
  echo
  "$build/attnlab_bench" taskdata --rounds "$rounds"
fi
