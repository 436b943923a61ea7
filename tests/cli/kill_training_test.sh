#!/usr/bin/env bash
# kill -9 a training run at 5 random moments: each time run.h5 opens with h5py, its status is
# `running`, and every /train and /eval row up to the last flush (the last "eval step" line in
# log.txt) is intact.
set -u
source "$(dirname "$0")/common.sh" "$1" "$2"
for trial in 1 2 3 4 5; do
  out="runs/kill$trial"
  $attnlab run $fast out_dir="$out" train.steps=100000 train.eval_every=5 train.log_every=1 > "kill$trial.txt" 2>&1 &
  pid=$!
  # start-up (data, model) takes a variable time: wait for the first flush, then kill at a random moment
  for _ in $(seq 1 600); do
    grep -qs '^eval step' "$out"/default/*/log.txt && break
    sleep 0.1
  done
  sleep "$(awk -v s="$RANDOM" 'BEGIN { srand(s); printf "%.2f", rand() * 2 }')"
  kill -9 "$pid"; wait "$pid" 2>/dev/null
  run=$(ls -d "$out"/default/*/ 2>/dev/null | head -1)
  last=$(grep -E '^eval step' "$run/log.txt" 2>/dev/null | tail -1 | awk '{print $3}')
  if [ -z "$last" ]; then
    bad "trial $trial: killed before the first evaluation; sleep longer"; continue
  fi
  evals=$((last / 5))
  if h5check "$run/run.h5" --status running --min-rows "train=$last" --min-rows "eval=$evals" \
      --expect "eval/step[$((evals - 1))]=$last" --expect "train/step[$((last - 1))]=$last" > "check$trial.txt"; then
    ok "trial $trial: killed after step $last, file opens, status running, rows up to step $last intact"
  else
    bad "trial $trial: $(cat "check$trial.txt")"
  fi
done
finish
