#!/usr/bin/env bash
# A real training run: its run.h5 read with h5py (python3-h5py) matches the schema and the numbers
# the run printed.
set -u
source "$(dirname "$0")/common.sh" "$1" "$2"
$attnlab run $fast train.steps=12 train.eval_every=6 train.log_every=3 > out.txt 2>&1 || { bad "run failed: $(tail -3 out.txt)"; finish; exit 1; }
run=$(ls -d runs/default/*/)
line=$(grep '^done:' out.txt)
loss=$(sed -E 's/.*val loss ([0-9.]+).*/\1/' <<< "$line")
ppl=$(sed -E 's/.*ppl ([0-9.]+).*/\1/' <<< "$line")
bpc=$(sed -E 's/.*bpc ([0-9.]+).*/\1/' <<< "$line")
h5check "$run/run.h5" --status completed --rows train=4 --rows eval=2 --rel-tol 1e-3 \
  --expect "eval/loss[-1]=$loss" --expect "eval/ppl[-1]=$ppl" --expect "eval/bpc[-1]=$bpc" \
  --expect "train/step[-1]=12" --expect "seed=1337" \
  && ok "run.h5 schema and values match the printed run ($line)" || bad "h5py check"
for f in config.yaml overrides.yaml log.txt checkpoint.pt; do
  [ -s "$run/$f" ] && ok "$f written" || bad "$f missing"
done
grep -q "eval step     12" "$run/log.txt" && ok "log.txt holds what was printed" || bad "log.txt: $(cat "$run/log.txt")"
finish
