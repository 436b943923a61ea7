#!/usr/bin/env bash
# A 4-job sweep where one job is forced to fail (its corpus is missing): the other three complete,
# index.yaml records the failure with its error, and --resume reruns only the failed job, with the
# config composed at launch even though configs/ changed in between.
set -u
source "$(dirname "$0")/common.sh" "$1" "$2"
cp small.txt a.txt; cp small.txt b.txt; cp small.txt c.txt
$attnlab run -m $fast train.steps=6 train.eval_every=3 data.path=a.txt,b.txt,missing.txt,c.txt -j 2 > out.txt 2>&1
code=$?
sweep=$(ls -d runs/default/*/)
[ "$code" -eq 1 ] && ok "sweep exits 1 when a job failed" || bad "sweep exit code $code"
grep -c "status: completed" "$sweep/index.yaml" | grep -qx 3 && ok "3 jobs completed" || bad "index: $(cat "$sweep/index.yaml")"
grep -q "status: failed" "$sweep/index.yaml" && grep -q "data.path: file not found: missing.txt" "$sweep/index.yaml" \
  && ok "index records the failure and its error" || bad "index: $(cat "$sweep/index.yaml")"
for j in a b c; do
  h5check "$sweep/data.path=$j.txt/run.h5" --status completed > /dev/null && ok "job $j.txt run.h5 completed" || bad "job $j.txt"
done
before=$(stat -c %Y "$sweep/data.path=a.txt/run.h5")
ls "$sweep/jobs/"*.yaml | wc -l | grep -qx 4 && ok "jobs/: 4 configs composed at launch" || bad "jobs/: $(ls "$sweep/jobs")"
cp small.txt missing.txt  # the cause of the failure is fixed
echo "not_a_train_key: 1" >> configs/train/default.yaml  # configs/ edited while the sweep is not done
$attnlab run --resume "$sweep" > resume.txt 2>&1
code=$?
[ "$code" -eq 0 ] && ok "resume completes" || bad "resume exit $code: $(tail -3 resume.txt)"
grep -c "^== job" resume.txt | grep -qx 1 && ok "resume ran exactly one job" || bad "resume ran: $(grep '^== job' resume.txt)"
grep -c "status: completed" "$sweep/index.yaml" | grep -qx 4 && ok "all 4 completed after resume" || bad "index: $(cat "$sweep/index.yaml")"
[ "$(stat -c %Y "$sweep/data.path=a.txt/run.h5")" = "$before" ] && ok "completed jobs untouched" || bad "a.txt was rerun"
cmp -s "$sweep/data.path=missing.txt/config.yaml" "$sweep/jobs/data.path=missing.txt.yaml" \
  && ok "the rerun job ran the config composed at launch" || bad "rerun config differs from jobs/"
finish
