#!/usr/bin/env bash
# A probe task end to end: a short MQAR sweep (softmax, mlp) writes accuracy, answer loss, the
# per-slice table and chance into run.h5 (read with h5py), the printed accuracy matches the file,
# `attnlab report` shows the accuracy, slice and hybrid tables and a claims scorecard, probes.yaml
# (with its claims) composes, and every task config in configs/data builds a run (one step).
set -u
source "$(dirname "$0")/common.sh" "$1" "$2"
task="data=mqar model=probe model.d_model=32 model.n_heads=2 data.task.train_examples=500 data.task.test_examples=64 \
train.steps=6 train.eval_every=3 train.log_every=3 train.batch_size=8 eval.batch_size=32 threads=1"
$attnlab run -m $task mixer=softmax,mlp > out.txt 2>&1 || { bad "task sweep failed: $(tail -3 out.txt)"; finish; exit 1; }
sweep=$(ls -d runs/default/*/)
acc=$(grep -m1 'accuracy' "$sweep/mixer=softmax/log.txt" | tail -1 | sed -E 's/.*accuracy ([0-9.]+).*/\1/')
h5check "$sweep/mixer=softmax/run.h5" --status completed --rows eval=2 --rows eval_slices=6 --rel-tol 0 --abs-tol 5e-5 \
  --expect "eval/accuracy[0]=$acc" --expect "chance_accuracy=0.0078125" --expect "eval_slices/slice[0]=dist 1-15" \
  > check.txt && ok "run.h5 holds accuracy ($acc as printed), 3 slices per eval, chance 1/128" || bad "h5py: $(cat check.txt)"
$attnlab report "$sweep" --out report > report.txt 2>&1 || bad "report: $(tail -1 report.txt)"
grep -q "### Probe-task accuracy" report/report.md && grep -q "| softmax | " report/report.md && grep -q "| mlp | " report/report.md \
  && ok "report has the accuracy table" || bad "report.md: $(head -30 report/report.md)"
grep -q "### Probe-task accuracy per slice" report/report.md && ok "report has the slice table" || bad "no slice table"
grep -q "val acc" report/report.md && ok "the perplexity table gains a val acc column" || bad "no val acc column"
# a hybrid of the mlp (softmax in layer 0) with skip evaluation, and a claims file: the accuracy
# Table 1 and the scorecard (one seed a side: undecided)
$attnlab run $task mixer=mlp 'hybrid={mixer:softmax,layers:even}' eval.skip_layers=nonstandard out_dir=hybrid > hyb.txt 2>&1 \
  || bad "hybrid task run: $(tail -2 hyb.txt)"
printf 'claims:\n  - {name: no mixing fails, left: {mixer: mlp, hybrid.layers: none}, op: "<", right: {mixer: softmax}, metric: accuracy}\n' > claims.yaml
$attnlab report "$sweep" hybrid --claims claims.yaml --out report2 > report2.txt 2>&1 || bad "report with claims: $(tail -1 report2.txt)"
grep -q "### Uniform vs hybrid vs skip accuracy" report2/report.md && grep -q "^| mlp | " report2/report.md \
  && ok "report has the uniform / hybrid / skip accuracy table" || bad "no hybrid accuracy table: $(head -40 report2/report.md)"
head -1 report2/report.md | grep -q "### Claims scorecard" && grep -q "| no mixing fails \[accuracy <\] .* undecided (needs 2 runs a side) |" report2/report.md \
  && [ -f report2/report_claims.csv ] && ok "the scorecard comes first, one seed a side is undecided" || bad "scorecard: $(head -5 report2/report.md)"
$attnlab run "$source_dir/experiments/probes.yaml" --dry-run > dry.txt 2>&1 && grep -q "^168 job(s)" dry.txt \
  && ok "probes.yaml (with claims) composes its 168 jobs" || bad "probes.yaml dry run: $(tail -2 dry.txt)"
for config in "$source_dir"/configs/data/*.yaml; do
  name=$(basename "$config" .yaml)
  grep -q '^task:' "$config" || continue
  if $attnlab run data=$name ++data.path=small.txt model=probe model.d_model=32 model.n_heads=2 data.task.train_examples=20 \
       data.task.test_examples=8 train.steps=1 train.eval_every=1 train.batch_size=2 threads=1 out_dir=one > one.txt 2>&1; then
    ok "data=$name trains a step: $(grep -m1 '^data' one.txt | cut -c1-110)"
  else
    bad "data=$name: $(tail -2 one.txt)"
  fi
done
finish
