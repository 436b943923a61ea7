#!/usr/bin/env bash
# A probe task end to end: a short MQAR sweep (softmax, mlp) writes accuracy, answer loss, the
# per-slice table and chance into run.h5 (read with h5py), the printed accuracy matches the file,
# `attnlab report` shows the accuracy, slice and hybrid tables and a claims scorecard, `attnlab eval`
# scores accuracy under a KV budget, `attnlab analyze persistence` reads a task run, probes.yaml
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
# eviction scored by accuracy: the full cache reproduces /eval's accuracy token by token, and the
# report gains the accuracy-under-budget table
$attnlab eval "${sweep}mixer=softmax" -m cache=full,window cache.ratio=4 > budget.txt 2>&1 \
  && grep -q "window .* accuracy [0-9.]*" budget.txt && ok "eval of a task run prints accuracy per policy" || bad "task eval: $(tail -3 budget.txt)"
/usr/bin/python3 - "${sweep}mixer=softmax/run.h5" > budget_check.txt 2>&1 <<'PY' && ok "full-cache decoding: $(cat budget_check.txt)" || bad "budget accuracy: $(cat budget_check.txt)"
import sys, h5py
f = h5py.File(sys.argv[1], "r")
val = f["eval/split"].asstr()[:] == "val"
a, b = f["eval/accuracy"][val][-1], f["eval_budget/accuracy"][0]
print(f"accuracy {b} = /eval's {a}")
sys.exit(0 if abs(a - b) < 1e-9 and f["eval_budget/policy"].asstr()[0] == "full" else 1)
PY
$attnlab report "$sweep" --out report3 > report3.txt 2>&1 && grep -q "### Probe-task accuracy under a KV-cache budget" report3/report.md \
  && grep -q "Probe-task accuracy vs KV-cache compression" report3/report.html && ok "report has the budget accuracy table and plot" \
  || bad "no budget accuracy table: $(grep '###' report3/report.md)"
# Scissorhands' persistence ratio over a task's test examples, and a claim against a constant
$attnlab analyze persistence "${sweep}mixer=softmax" --max-windows 16 > persist.txt 2>&1 \
  && grep -q "16 windows of 64 tokens" persist.txt && [ "$(grep -c '^layer  [01]: [01]\.[0-9]*$' persist.txt)" = 2 ] \
  && ok "analyze persistence reads a task run: $(tail -2 persist.txt | tr '\n' ' ')" || bad "persistence on a task: $(tail -3 persist.txt)"
printf 'claims:\n  - {name: importance persists, left: {mixer: softmax}, op: ">", right: 0.5, metric: persistence}\n' > persist.yaml
$attnlab report "$sweep" --claims persist.yaml --out report4 > report4.txt 2>&1 \
  && grep -q "| importance persists \[persistence >\] | mixer=softmax | constant | .* | 0.5000 | .* | 1/— | undecided" report4/report.md \
  && ok "a claim against a constant reads the persistence ratio" || bad "persistence claim: $(grep -A3 'Claims' report4/report.md)"
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
