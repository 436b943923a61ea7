#!/usr/bin/env bash
# attnlab vs its Python PyTorch peer (bench/peer/peer.py), interleaved A/B on this machine:
# training tokens/s (tiny and small, batch 16, seq 128 and 256), decoding with a KV cache at batch 1
# and 8, and the machine's fp32 GEMM GFLOP/s with each side's model FLOP utilisation.
# Prints Markdown tables (medians over rounds and the attnlab/peer ratio).
#   bash bench/run.sh [rounds]          (needs python3-torch: bench/setup_peer.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
build=${ATTNLAB_BUILD_DIR:-build}
python=/usr/bin/python3
"$python" -c "import torch" 2>/dev/null || { echo "bench: no python3-torch; run bash bench/setup_peer.sh" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
data="data=kjv data.tokenizer=bpe data.vocab_size=2048"
results="$work/results.jsonl"

# model name -> "layers d_model heads" (configs/model/*.yaml)
declare -A shape=([tiny]="4 128 4" [small]="6 256 8")
steps=40

attnlab_train() {  # model seq -> tokens/s (median of /train rows after the first)
  local model=$1 seq=$2 dir="$work/train_$1_$2_$RANDOM"
  "$build/attnlab" run model="$model" $data train.seq_len="$seq" train.batch_size=16 train.steps=$steps \
    train.log_every=5 train.eval_every=100000 train.checkpoint_every=0 eval.max_windows=1 out_dir="$dir" > /dev/null
  "$python" - "$dir" <<'PY'
import glob, statistics, sys, h5py
with h5py.File(glob.glob(f"{sys.argv[1]}/*/*/run.h5")[0], "r") as f:
    print(statistics.median(f["train/tokens_per_s"][2:]))
PY
}

peer_train() {  # model seq -> tokens/s
  set -- $1 $2 ${shape[$1]}
  "$python" bench/peer/peer.py train --layers "$3" --d-model "$4" --heads "$5" --vocab 2048 --batch 16 --seq "$2" \
    --steps $steps --warmup 10 | "$python" -c "import json,sys; print(json.load(sys.stdin)['tokens_per_s'])"
}

# a trained-shape run for decoding (weights do not matter for speed): tiny, ctx 256, 1 step
"$build/attnlab" run model=tiny $data train.seq_len=256 train.batch_size=2 train.steps=1 train.eval_every=1 \
  eval.max_windows=8 out_dir="$work/decode_run" > /dev/null
decode_run=$(ls -d "$work"/decode_run/*/*/)

for round in $(seq 1 "$rounds"); do
  for model in tiny small; do
    for seq in 128 256; do
      echo "{\"case\":\"train\",\"side\":\"attnlab\",\"model\":\"$model\",\"seq\":$seq,\"value\":$(attnlab_train $model $seq)}" >> "$results"
      echo "{\"case\":\"train\",\"side\":\"peer\",\"model\":\"$model\",\"seq\":$seq,\"value\":$(peer_train $model $seq)}" >> "$results"
    done
  done
  for batch in 1 8; do
    value=$("$build/attnlab_bench" decode "$decode_run" --batch $batch --contexts 256 --policies full --rounds 1 \
      | awk -F'|' '/\| full \|/ {gsub(/ /, "", $8); print $8}')
    echo "{\"case\":\"decode\",\"side\":\"attnlab\",\"model\":\"tiny\",\"batch\":$batch,\"value\":$value}" >> "$results"
    value=$("$python" bench/peer/peer.py decode --layers 4 --d-model 128 --heads 4 --vocab 2048 --batch $batch \
      --prompt 32 --context 256 | "$python" -c "import json,sys; print(json.load(sys.stdin)['tokens_per_s'])")
    echo "{\"case\":\"decode\",\"side\":\"peer\",\"model\":\"tiny\",\"batch\":$batch,\"value\":$value}" >> "$results"
  done
  "$python" bench/peer/peer.py gemm --size 1024 | sed 's/"case": "gemm"/"case": "gemm", "side": "torch"/' >> "$results"
done

"$python" - "$results" <<'PY'
import json, statistics, sys, collections
rows = [json.loads(line) for line in open(sys.argv[1])]
gemm = statistics.median(r["gflops"] for r in rows if r["case"] == "gemm")
values = collections.defaultdict(list)
for r in rows:
    if r["case"] == "train":
        values[("train", r["model"], r["seq"], r["side"])].append(r["value"])
    elif r["case"] == "decode":
        values[("decode", r["model"], r["batch"], r["side"])].append(r["value"])
shapes = {"tiny": (4, 128), "small": (6, 256)}
def flops_per_token(model, seq):  # 6 N (non-embedding + tied head) + 12 L d T (attention), PaLM appendix B
    L, d = shapes[model]
    hidden = (int(-(-8 * d // 3)) + 7) // 8 * 8
    n = L * (4 * d * d + 3 * d * hidden) + d * 2048
    return 6 * n + 12 * L * d * seq
print(f"fp32 GEMM (1024^3, torch.mm on this machine's BLAS): {gemm:.1f} GFLOP/s\n")
print("| training | attnlab tok/s | peer tok/s | ratio | attnlab MFU | peer MFU |")
print("| :--- | ---: | ---: | ---: | ---: | ---: |")
for model in ("tiny", "small"):
    for seq in (128, 256):
        a = statistics.median(values[("train", model, seq, "attnlab")])
        p = statistics.median(values[("train", model, seq, "peer")])
        f = flops_per_token(model, seq)
        print(f"| {model}, batch 16 x {seq} | {a:.0f} | {p:.0f} | {a / p:.2f} | {100 * a * f / gemm / 1e9:.1f}% | {100 * p * f / gemm / 1e9:.1f}% |")
print("\n| decoding (tiny, KV cache, prompt 32, to 256 tokens) | attnlab tok/s | peer tok/s | ratio |")
print("| :--- | ---: | ---: | ---: |")
for batch in (1, 8):
    a = statistics.median(values[("decode", "tiny", batch, "attnlab")])
    p = statistics.median(values[("decode", "tiny", batch, "peer")])
    print(f"| batch {batch} | {a:.0f} | {p:.0f} | {a / p:.2f} |")
PY
