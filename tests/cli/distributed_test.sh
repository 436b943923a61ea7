#!/usr/bin/env bash
# Data-parallel training (distributed.nproc: local ranks on c10d's Gloo, docs/distributed.md):
#  1. 2 ranks x 8 rows train the same 50-step loss curve as 1 rank x 16 rows (float summation
#     order aside: losses within 1e-4, gradient norms of the first 10 steps within 1e-5), and so
#     do 2 ranks x 2 micro-batches x 4 rows;
#  2. rank 1 killed (kill -9) after the first checkpoint: the run fails with one line naming the
#     rank, rank 0 marks run.h5 failed, and `--resume` (2 ranks again) ends with a run.h5 equal
#     to an uninterrupted 2-rank run's, bit for bit, timing columns aside;
#     and when `attnlab run` itself is killed, its ranks die with it;
#  3. bad distributed options: exit 2, one line, no run directory.
# usage: distributed_test.sh <attnlab binary> <source dir>
set -u
source "$(dirname "$0")/common.sh" "$1" "$2"
if ! "$attnlab" run $fast distributed.nproc=2 train.steps=1 train.eval_every=1 out_dir=probe > probe.txt 2>&1 &&
  grep -q "built without" probe.txt; then
  echo "skip: this attnlab was built without c10d/Gloo"
  exit 77
fi
check() { /usr/bin/python3 "$source_dir/tests/reliability/reliability_check.py" "$@"; }
# the model of common.sh; a batch of 16 rows, a /train row every step
base="data.path=small.txt model.n_layers=2 model.d_model=32 model.n_heads=2 model.ctx=32 train.warmup_steps=2 \
eval.max_windows=4 eval.batch_size=4 threads=1 train.batch_size=16 train.log_every=1"
curve="$base train.steps=50 train.eval_every=25"

# 1. equivalence
$attnlab run $curve out_dir=one > one.txt 2>&1 || bad "1 rank: $(tail -2 one.txt)"
$attnlab run $curve distributed.nproc=2 out_dir=two > two.txt 2>&1 || bad "2 ranks: $(tail -2 two.txt)"
$attnlab run $curve distributed.nproc=2 train.grad_accum=2 out_dir=accum > accum.txt 2>&1 || bad "2 ranks, accum 2: $(tail -2 accum.txt)"
compare_curves() {  # NAME A B: largest |loss difference| over the /train rows and the /eval rows
  /usr/bin/python3 - "$2" "$3" <<'PY'
import glob, sys, h5py, numpy as np
a, b = (h5py.File(glob.glob(f"{d}/default/*/run.h5")[0], "r") for d in sys.argv[1:3])
assert list(a["train/step"][()]) == list(b["train/step"][()]) == list(range(1, 51)), "not 50 rows"
train = np.abs(a["train/loss"][()] - b["train/loss"][()]).max()
val = np.abs(a["eval/loss"][()] - b["eval/loss"][()]).max()
grad = np.abs(a["train/grad_norm"][()] / b["train/grad_norm"][()] - 1)
# The first steps show the gradients themselves (a wrong normalisation is off by a factor); later
# steps amplify float summation noise, as any two summation orders do.
print(f"largest difference: train loss {train:.2e}, eval loss {val:.2e}; grad norm (relative) {grad[:10].max():.1e} "
      f"in steps 1-10, {grad.max():.1e} in 1-50; final loss {a['train/loss'][-1]:.6f}")
sys.exit(0 if train < 1e-4 and val < 1e-4 and grad[:10].max() < 1e-5 else 1)
PY
}
if out=$(compare_curves x one two); then ok "2 ranks x 8 == 1 rank x 16 over 50 steps: $out"; else bad "2 ranks x 8 vs 1 x 16: $out"; fi
if out=$(compare_curves x one accum); then ok "2 ranks x 2 micro-batches x 4 == 1 rank x 16: $out"; else bad "2 ranks, accum 2 vs 1 x 16: $out"; fi
grep -q "ranks    2 (c10d" two/default/*/log.txt && ok "the log names the ranks" || bad "log.txt: no ranks line"
ls two/default/*/rank*.err > /dev/null 2>&1 && bad "empty rank error files were left: $(ls two/default/*/)" || ok "no rank files left behind"

# 2. a rank killed, then resume
long="$base train.steps=400 train.eval_every=100 train.checkpoint_every=40 distributed.nproc=2"
$attnlab run $long out_dir=reference > reference.txt 2>&1 || bad "uninterrupted 2-rank run: $(tail -2 reference.txt)"
$attnlab run $long out_dir=killed > killed.txt 2> killed.err &
parent=$!
for _ in $(seq 1 600); do
  ls killed/default/*/checkpoint.pt > /dev/null 2>&1 && break
  sleep 0.05
done
sleep "0.$((RANDOM % 10))"
victim=""
for pid in $(pgrep -P "$parent"); do
  tr '\0' '\n' < "/proc/$pid/environ" 2> /dev/null | grep -qx "RANK=1" && victim=$pid
done
[ -n "$victim" ] && kill -9 "$victim"
wait "$parent"; code=$?
run=$(ls -d killed/default/*/)
if [ -z "$victim" ]; then
  bad "kill: rank 1 not found among the children of $parent (exit $code)"
elif [ "$code" -eq 1 ] && [ "$(grep -c '' killed.err)" -eq 1 ] && grep -q "rank 1 of 2 (pid $victim) was killed by signal 9" killed.err; then
  ok "rank 1 killed: exit 1, one line: $(cat killed.err)"
else
  bad "rank 1 killed: exit $code, stderr: $(cat killed.err)"
fi
if h5check "$run/run.h5" --status failed > status.txt; then ok "rank 0 marked run.h5 failed"; else bad "run.h5 after the kill: $(cat status.txt)"; fi
if $attnlab run --resume "$run" > resume.txt 2>&1; then
  if check same "$(ls -d reference/default/*/)run.h5" "$run/run.h5" > same.txt; then
    ok "resumed with 2 ranks ($(grep -m1 '^resumed' "$run/log.txt")): $(head -1 same.txt)"
  else
    bad "resumed run.h5 differs from the uninterrupted run: $(head -3 same.txt)"
  fi
else
  bad "resume: $(tail -2 resume.txt)"
fi

# the launching process killed: its ranks die with it
$attnlab run $long out_dir=orphans > /dev/null 2>&1 &
parent=$!
for _ in $(seq 1 600); do
  [ "$(pgrep -P "$parent" | wc -l)" -eq 2 ] && break
  sleep 0.05
done
ranks=$(pgrep -P "$parent" | tr '\n' ' ')
kill -9 "$parent"; wait "$parent" 2> /dev/null
left=""
for _ in $(seq 1 20); do  # 1 s: the kernel kills them at once; the run itself lasts several seconds
  # alive = exists and not a zombie (init reaps the orphans when it gets to it)
  left=$(for pid in $ranks; do ps -o stat= -p "$pid" 2> /dev/null | grep -qv '^Z' && echo "$pid"; done)
  [ -z "$left" ] && break
  sleep 0.05
done
if [ -n "$ranks" ] && [ -z "$left" ]; then ok "attnlab run killed: its ranks ($ranks) died with it"; else bad "ranks left after their parent died: '$left' of '$ranks'"; fi

# 3. bad input
check_user_error "nproc 0" "distributed.nproc: must be 1 to 1024, got 0" run $fast distributed.nproc=0 out_dir=bad
check_user_error "batch not divisible" "train.batch_size: 4 rows cannot be split into distributed.nproc = 3 ranks" \
  run $fast distributed.nproc=3 out_dir=bad
check_user_error "timeout 0" "distributed.timeout_s: must be > 0, got 0" run $fast distributed.nproc=2 distributed.timeout_s=0 out_dir=bad
check_user_error "unknown key" "distributed.nprocs" run $fast distributed.nprocs=2 out_dir=bad
[ -e bad ] && bad "a bad config left $(find bad | head -3)" || ok "no run directory for bad input"
finish
