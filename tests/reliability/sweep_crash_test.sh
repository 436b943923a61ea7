#!/usr/bin/env bash
# A 4-job sweep (2 at a time) where one job segfaults (a failpoint raises SIGSEGV in that job
# only) and another is killed with kill -9 from outside: both are marked failed (index.yaml and
# their run.h5, with the signal), the other two complete, the report shows the failures, and
# --resume reruns exactly the two failed jobs to completion. The four jobs train on copies of one
# text, so each resumed job's whole run.h5 must equal a job that was never interrupted (checkpoints
# every 50 steps fall between evaluations every 100: rows logged since the last evaluation are at
# stake at each crash).
# usage: sweep_crash_test.sh <attnlab binary> <source dir>
set -u
source "$(dirname "$0")/../cli/common.sh" "$1" "$2"
for j in a b c d; do cp small.txt $j.txt; done
args="$fast train.steps=400 train.eval_every=100 train.checkpoint_every=50 train.log_every=10"
ATTNLAB_FAILPOINT="train.step:180:segv@data.path=b.txt" \
  $attnlab run -m $args data.path=a.txt,b.txt,c.txt,d.txt -j 2 > sweep.txt 2>&1 &
sweep_pid=$!
# kill -9 job c once it has a checkpoint
for _ in $(seq 1 600); do
  ls runs/default/*/data.path=c.txt/checkpoint.pt > /dev/null 2>&1 && break
  sleep 0.05
done
victim=$(pgrep -f -- "--run-dir .*data.path=c.txt" | head -1)
[ -n "$victim" ] && kill -9 "$victim" && ok "killed job c.txt (pid $victim)" || bad "job c.txt not found running"
wait "$sweep_pid"; code=$?
sweep=$(ls -d runs/default/*/)
index="$sweep/index.yaml"
[ "$code" -eq 1 ] && ok "sweep exits 1 when jobs failed" || bad "sweep exit code $code: $(tail -3 sweep.txt)"
grep -c "status: completed" "$index" | grep -qx 2 && ok "the 2 other jobs completed" || bad "index: $(cat "$index")"
grep -q "killed by signal 11 (Segmentation fault)" "$index" && ok "index: the segfault is recorded" || bad "index: $(cat "$index")"
grep -q "killed by signal 9 (Killed)" "$index" && ok "index: the kill is recorded" || bad "index: $(cat "$index")"
h5check "$sweep/data.path=b.txt/run.h5" --status failed --expect "error=killed by signal 11 (Segmentation fault)" > b.txt.check \
  && ok "b.txt run.h5: failed, signal 11" || bad "b.txt run.h5: $(cat b.txt.check)"
h5check "$sweep/data.path=c.txt/run.h5" --status failed --expect "error=killed by signal 9 (Killed)" > c.txt.check \
  && ok "c.txt run.h5: failed, signal 9" || bad "c.txt run.h5: $(cat c.txt.check)"
for j in a d; do
  h5check "$sweep/data.path=$j.txt/run.h5" --status completed > /dev/null && ok "$j.txt completed" || bad "$j.txt not completed"
done
$attnlab report "$sweep" --out report > report.txt 2>&1 || bad "report: $(tail -1 report.txt)"
grep -c "failed" report/report.md | grep -qx 0 && bad "report.md shows no failed run: $(cat report/report.md)" \
  || ok "report shows the failed jobs: $(grep -m1 failed report/report.md | cut -c1-120)"
$attnlab run --resume "$sweep" > resume.txt 2>&1; code=$?
[ "$code" -eq 0 ] && ok "resume completes" || bad "resume exit $code: $(tail -3 resume.txt)"
grep -c "^== job" resume.txt | grep -qx 2 && ok "resume reran exactly the 2 failed jobs" || bad "resume ran: $(grep '^== job' resume.txt)"
grep -c "status: completed" "$index" | grep -qx 4 && ok "all 4 completed after resume" || bad "index: $(cat "$index")"
for j in b c; do
  h5check "$sweep/data.path=$j.txt/run.h5" --status completed --expect "train/step[-1]=400" > /dev/null \
    && ok "$j.txt completed after resume" || bad "$j.txt after resume"
  /usr/bin/python3 "$source_dir/tests/reliability/reliability_check.py" same "$sweep/data.path=a.txt/run.h5" \
    "$sweep/data.path=$j.txt/run.h5" > $j.same.txt \
    && ok "$j.txt run.h5 after resume equals uninterrupted a.txt: $(head -1 $j.same.txt)" || bad "$j.txt run.h5 differs: $(head -3 $j.same.txt)"
done
finish
