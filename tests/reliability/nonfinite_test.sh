#!/usr/bin/env bash
# A training run whose updates overflow (lr 1e30) stops at the first non-finite step with status
# `failed`, an error naming the step and where the NaN/Inf first appeared, and the last good
# checkpoint kept and loadable; with train.on_nonfinite=skip the same run skips those steps,
# counts them in run.h5 (/nonfinite, skipped_steps) and fails once more than max_skipped_steps.
# usage: nonfinite_test.sh <attnlab binary> <source dir>
set -u
source "$(dirname "$0")/../cli/common.sh" "$1" "$2"
args="$fast train.steps=20 train.eval_every=5 train.checkpoint_every=1 train.log_every=1 train.lr=1e30 train.min_lr=0 train.warmup_steps=0"
$attnlab run $args out_dir=stop > stop.txt 2>&1; code=$?
run=$(ls -d stop/default/*/)
[ "$code" -eq 1 ] && ok "stop: exit 1" || bad "stop: exit $code"
error=$(grep '^error:' stop.txt)
echo "$error" | grep -qE "non-finite (loss|gradient).* at step [0-9]+, first in .*; the last good checkpoint is .*checkpoint.pt \(step [0-9]+\)" \
  && ok "stop: $error" || bad "stop: error line: $(tail -2 stop.txt)"
h5check "$run/run.h5" --status failed > check.txt && grep -q "non-finite" <(/usr/bin/python3 -c "import h5py,sys; print(h5py.File(sys.argv[1])['/'].attrs['error'])" "$run/run.h5") \
  && ok "stop: run.h5 status failed with the error" || bad "stop: $(cat check.txt)"
/usr/bin/python3 "$source_dir/tests/reliability/reliability_check.py" checkpoints "$run" > ckpt.txt \
  && ok "stop: the last good checkpoint loads and is finite" || bad "stop: $(cat ckpt.txt)"

$attnlab run $args train.on_nonfinite=skip train.max_skipped_steps=3 out_dir=skip > skip.txt 2>&1; code=$?
run=$(ls -d skip/default/*/)
[ "$code" -eq 1 ] && grep -q "^error: 4 steps skipped for a non-finite loss or gradient (train.max_skipped_steps = 3)" skip.txt \
  && ok "skip: fails after the 4th skip: $(grep '^error' skip.txt | cut -c1-100)..." || bad "skip: exit $code: $(tail -2 skip.txt)"
h5check "$run/run.h5" --status failed --rows nonfinite=4 --expect skipped_steps=4 > check.txt \
  && ok "skip: run.h5 has 4 /nonfinite rows and skipped_steps=4" || bad "skip: $(cat check.txt)"
finish
