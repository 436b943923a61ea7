#!/usr/bin/env bash
# kill -9 at 20 moments of training, then 4 inside report generation. Training: 6 external kill -9
# at random times after the first checkpoint, and 14 at failpoints (core/failpoint.h: SIGKILL at
# the n-th time the process reaches a place, n random) on every write boundary: inside an
# evaluation, before and after the rows are flushed for a checkpoint, before and after the
# checkpoint's rename. Checkpoints (every 45 steps) fall between evaluations (every 100) and off
# the logging grid (every 10), so rows logged since the last flush are at stake at every kill.
# After each killed run: run.h5 opens with h5py and says `running`; every checkpoint on disk
# loads with PyTorch; `attnlab train --resume` completes and the whole run.h5 (every table, every
# column, the attributes) equals an uninterrupted run's, bit for bit, timing columns aside.
# After each killed report: every report file is complete (the previous report's or the new
# one's), and a rerun writes the full report.
# usage: kill9_test.sh <attnlab binary> <source dir> [seed]
set -u
source "$(dirname "$0")/../cli/common.sh" "$1" "$2"
RANDOM=${3:-$$}
echo "seed $RANDOM"
check() { /usr/bin/python3 "$source_dir/tests/reliability/reliability_check.py" "$@"; }
random_int() { echo $(($1 + RANDOM % ($2 - $1 + 1))); }  # in [$1, $2]

# 1500 steps, evaluated (4 batches) every 100, checkpointed every 45 (33 checkpoints and the
# final one), a /train row every 10 steps and at each checkpoint: about 4 s of training
args="$fast eval.max_windows=16 train.steps=1500 train.eval_every=100 train.checkpoint_every=45 train.log_every=10"
now() { date +%s.%N; }
reference_start=$(now)
$attnlab run $args out_dir=reference > reference.txt 2>&1 || { bad "uninterrupted run: $(tail -2 reference.txt)"; finish; exit; }
reference_seconds=$(awk -v a="$reference_start" -v b="$(now)" 'BEGIN { print b - a }')
reference=$(ls -d reference/default/*/)run.h5

# after_kill NAME RUN_DIR: the checks on a killed run, then resume and compare with the reference
after_kill() {
  local name=$1 run=$2
  if ! h5check "$run/run.h5" --status running > "$name.check.txt"; then
    bad "$name: run.h5 after the kill: $(cat "$name.check.txt")"; return
  fi
  if ! check checkpoints "$run" > "$name.ckpt.txt"; then
    bad "$name: $(tail -n +2 "$name.ckpt.txt" | head -3)"; return
  fi
  local killed_at flushed
  killed_at=$(grep -E '^step ' "$run/log.txt" | tail -1 | awk '{print $2}')
  flushed=$(/usr/bin/python3 -c "import h5py,sys; s=h5py.File(sys.argv[1],'r')['train/step'][()]; print(s[-1] if len(s) else 0)" "$run/run.h5")
  if ! $attnlab train --resume "$run" > "$name.resume.txt" 2>&1; then
    bad "$name: resume failed: $(tail -2 "$name.resume.txt")"; return
  fi
  if ! h5check "$run/run.h5" --status completed > "$name.check.txt"; then
    bad "$name: run.h5 after resuming: $(cat "$name.check.txt")"; return
  fi
  if check same "$reference" "$run/run.h5" > "$name.same.txt"; then
    ok "$name: killed near step ${killed_at:-?} (/train flushed to $flushed), $(head -1 "$name.ckpt.txt"), $(grep -m1 '^resumed' "$name.resume.txt" | sed 's/.* at //;s/^/resumed at /'), $(head -1 "$name.same.txt")"
  else
    bad "$name: run.h5 after resume differs from the uninterrupted run: $(head -3 "$name.same.txt")"
  fi
}

# external kill -9 at a random moment after the first checkpoint (a kill before it leaves nothing to resume)
for trial in $(seq 1 6); do
  name="train$trial" out="runs/train$trial"
  started=$(now)
  $attnlab run $args out_dir="$out" > "$name.txt" 2>&1 &
  pid=$!
  for _ in $(seq 1 600); do
    ls "$out"/default/*/checkpoint.pt > /dev/null 2>&1 && break
    sleep 0.05
  done
  # a random moment in the first 60% of what is left of the run, as long as the reference took:
  # a fixed bound (2.5 s) outlasted the whole run on a quiet machine
  sleep "$(awk -v s="$RANDOM" -v total="$reference_seconds" -v spent="$(awk -v a="$started" -v b="$(now)" 'BEGIN { print b - a }')" \
    'BEGIN { srand(s); left = total - spent; if (left < 0.1) left = 0.1; printf "%.2f", rand() * 0.6 * left }')"
  kill -9 "$pid" 2> /dev/null; { wait "$pid"; } 2> /dev/null; code=$?
  if [ "$code" -ne 137 ]; then bad "$name: the run ended (exit $code) before the kill; shorten the sleep"; continue; fi
  after_kill "$name" "$(ls -d "$out"/default/*/)"
done

# failpoints on every write boundary. The n-th checkpoint is at step 45n; a kill at or before the
# first rename leaves nothing to resume, so n starts at 2 there.
failpoint_trial() {  # NAME FAILPOINT
  local name=$1 out="runs/$1"
  { ATTNLAB_FAILPOINT=$2 $attnlab run $args out_dir="$out" > "$name.txt" 2>&1; } 2> /dev/null; local code=$?
  if [ "$code" -ne 137 ]; then bad "$name: $2 did not kill the run (exit $code)"; return; fi
  after_kill "$name ($2)" "$(ls -d "$out"/default/*/)"
}
for trial in 1 2; do
  failpoint_trial "eval$trial" "eval.batch:$(random_int 1 45)"  # 3 hits in each of the 15 evaluations, all after the first checkpoint
done
for trial in 1 2 3; do
  failpoint_trial "flush_before$trial" "rows.flush.before:$(random_int 2 34)"
  failpoint_trial "flush_after$trial" "rows.flush.after:$(random_int 2 34)"
  failpoint_trial "rename_before$trial" "checkpoint.write:$(random_int 2 34)"
  failpoint_trial "rename_after$trial" "checkpoint.renamed:$(random_int 1 33)"
done

# report generation over the runs above, killed while it writes its files (each file is written
# to a temporary and renamed): what is on disk is always a complete report file
strip_time() { grep -v 'UTC' "$1"; }
$attnlab report runs reference --out report_reference > report.txt 2>&1 || bad "report: $(tail -2 report.txt)"
files=$(ls report_reference | wc -l)
for trial in 1 2 3 4; do
  name="report$trial" out="report$trial" n=$(random_int 1 "$files")
  [ "$trial" -gt 2 ] && cp -r report_reference "$out"  # trials 3, 4 overwrite an existing report
  { ATTNLAB_FAILPOINT="file.write:$n@report" $attnlab report runs reference --out "$out" > "$name.txt" 2>&1; } 2> /dev/null; code=$?
  if [ "$code" -ne 137 ]; then bad "$name: file.write:$n did not kill the report (exit $code)"; continue; fi
  damaged="" on_disk=$(ls "$out" | grep -vc '\.tmp\.')
  for f in "$out"/report*; do
    case "$f" in *.tmp.*) continue ;; esac  # the killed write's temporary: never read as a report
    cmp -s <(strip_time "$f") <(strip_time "report_reference/$(basename "$f")") || damaged="$damaged $(basename "$f")"
  done
  if ! $attnlab report runs reference --out "$out" > "$name.rerun.txt" 2>&1; then bad "$name: rerun: $(tail -1 "$name.rerun.txt")"; continue; fi
  for f in report_reference/*; do
    cmp -s <(strip_time "$f") <(strip_time "$out/$(basename "$f")") || damaged="$damaged rerun:$(basename "$f")"
  done
  if [ -z "$damaged" ]; then
    ok "$name: killed writing file $n of $files; $on_disk complete report files on disk; rerun complete"
  else
    bad "$name: incomplete or different files:$damaged"
  fi
done
finish
