#!/usr/bin/env bash
# Token shards at scale (issue 21 item 1, docs/data.md): prepares a generated text corpus of
# `gb` GB (default 3.0) with 1 and 2 encoding threads, and a 10 MB slice of it with 1, and reports
# each run's wall time, MB/s and peak RSS (bounded memory: the same for both sizes); then starts a 1-step training run from the prepared
# folder of a 10 MB slice and of the whole corpus (data.prepared) and reports the process's wall
# time (start-up, one step, one evaluation window, the checkpoint) and peak RSS for each.
# Prints Markdown; scratch files go to $ATTNLAB_BENCH_SCRATCH (default /tmp/attnlab-shards), removed at the end.
#   bash bench/shards.sh [gb] [tokenizer]     tokenizer: char (default) | bpe
set -euo pipefail
cd "$(dirname "$0")/.."
gb=${1:-3.0}
tokenizer=${2:-char}
build=${ATTNLAB_BUILD_DIR:-build}
scratch=${ATTNLAB_BENCH_SCRATCH:-/tmp/attnlab-shards}
rm -rf "$scratch"
mkdir -p "$scratch"
trap 'rm -rf "$scratch"' EXIT
note() { echo "[shards $(date +%H:%M:%S)] $*" >&2; }

# the corpus: the installed corpora, each copy numbered so no two are identical
bytes=$(awk -v g="$gb" 'BEGIN { printf "%.0f", g * 1e9 }')  # %d stops at 2^31 in mawk
note "writing a $bytes-byte corpus"
/usr/bin/python3 - "$scratch/big.txt" "$bytes" data/moby_dick/moby_dick.txt data/kjv/kjv.txt <<'PY'
import sys
out, target = sys.argv[1], int(sys.argv[2])
parts = [open(p, encoding="utf-8").read() for p in sys.argv[3:]]
written, copy = 0, 0
with open(out, "w", encoding="utf-8") as f:
    while written < target:
        text = f"Copy {copy}.\n" + parts[copy % len(parts)]
        text = text[: target - written] if written + len(text.encode()) > target else text
        f.write(text)
        written += len(text.encode())
        copy += 1
PY
head -c 10000000 "$scratch/big.txt" > "$scratch/small.txt"
size_mb=$(awk -v b="$(stat -c %s "$scratch/big.txt")" 'BEGIN { printf "%.0f", b / 1e6 }')

measure() {  # label command... -> "wall_s peak_rss_mib"
  /usr/bin/time -f "%e %M" -o "$scratch/time.txt" "$@" > "$scratch/out.txt" 2>&1 || { cat "$scratch/out.txt" >&2; exit 1; }
  awk '{ printf "%s %.0f\n", $1, $2 / 1024 }' "$scratch/time.txt"
}

echo "## Preparing a $size_mb MB corpus ($tokenizer tokenizer)"
echo
echo "| corpus | encoding threads | wall s | MB/s | peak RSS MiB |"
echo "| :--- | ---: | ---: | ---: | ---: |"
for run in big:1 big:2 small:1; do
  name=${run%:*} threads=${run#*:}
  rm -rf "$scratch/root_$name"
  note "prepare-data, $name, $threads thread(s)"
  read -r wall rss < <(measure "$build/attnlab" prepare-data data.path="$scratch/$name.txt" data.root="$scratch/root_$name" \
    data.tokenizer="$tokenizer" --threads "$threads")
  mb=$([ "$name" = small ] && echo 10 || echo "$size_mb")
  echo "| $name ($mb MB) | $threads | $wall | $(awk -v s="$mb" -v w="$wall" 'BEGIN { printf "%.1f", s / w }') | $rss |"
done
big_folder=$(ls -d "$scratch"/root_big/cache/tokens-big-*)
du_mb=$(du -sm "$big_folder" | cut -f1)
echo
echo "The folder: $du_mb MiB ($(grep -c '' <(ls "$big_folder"/train-[0-9]*.bin)) train shard(s)). Time includes reading the text, building the tokenizer and hashing the corpus."
small_folder=$(ls -d "$scratch"/root_small/cache/tokens-small-*)

echo
echo "## Start-up from a prepared folder (1 training step, model tiny)"
echo
echo "| corpus | train tokens | process wall s | peak RSS MiB |"
echo "| :--- | ---: | ---: | ---: |"
for name in small big; do
  folder=$([ "$name" = small ] && echo "$small_folder" || echo "$big_folder")
  note "training from the $name folder"
  read -r wall rss < <(measure "$build/attnlab" run data.prepared="$folder" data.root="$scratch/root_$name" train.steps=1 \
    train.eval_every=1 eval.max_windows=1 train.log_every=1 out_dir="$scratch/runs_$name")
  log=$(ls "$scratch"/runs_$name/*/*/log.txt)
  tokens=$(grep -m1 '^data' "$log" | awk '{ print $2 }')
  echo "| $name ($([ "$name" = small ] && echo 10 || echo "$size_mb") MB) | $tokens | $wall | $rss |"
done
