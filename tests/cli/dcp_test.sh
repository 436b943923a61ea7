#!/usr/bin/env bash
# Dynamic Context Pruning end to end: a dense run, a dcp fine-tune from it (init_from,
# train.trainable=new), /sparsity rows, `attnlab analyze pruning`, the report's sparsity table and
# pruning map, and bad input.
# usage: dcp_test.sh <attnlab binary> <source dir>
set -u
source "$(dirname "$0")/common.sh" "$1" "$2"

$attnlab run $fast train.steps=10 train.eval_every=10 out_dir=base > base.txt 2>&1 \
  || { bad "dense training failed: $(tail -3 base.txt)"; finish; exit 1; }
base=$(ls -d base/default/*/)

$attnlab run $fast mixer=dcp mixer.rank=4 init_from="$base" train.trainable=new train.steps=6 train.eval_every=3 \
  out_dir=ft > ft.txt 2>&1 || { bad "dcp fine-tuning failed: $(tail -3 ft.txt)"; finish; exit 1; }
ft=$(ls -d ft/default/*/)
grep -q "init     loaded .* tensors from ${base}checkpoint.pt; new: 6 (blocks.0.mixer.interaction" ft.txt \
  && ok "init_from: dense weights loaded, 6 interaction tensors new" || bad "init line: $(grep init ft.txt)"
grep -q "trains   only the 6 new parameter tensors" ft.txt && ok "trainable=new" || bad "trainable line missing"
grep -q "mixer stats (mean of layers): dropped_fraction .* mean_keep" ft.txt && ok "eval log shows the pruned share" \
  || bad "no 'mixer stats' line"
h5check "$ft/run.h5" --status completed --rows analysis/mixer_stats=12 --expect "analysis/mixer_stats/layer[2]=-1" \
  --expect "analysis/mixer_stats/name[0]=dropped_fraction" --expect "analysis/mixer_stats/name[3]=mean_keep" \
  --expect "analysis/mixer_stats/step[11]=6" \
  && ok "/analysis/mixer_stats: 2 statistics x (2 layers + overall) at 2 evals" || bad "/analysis/mixer_stats rows"

$attnlab analyze pruning "$ft" --text "Call me Ishmael. Some years ago, never mind how long" > map.txt 2>&1 \
  && grep -q "layer  1: .*% of context pruned" map.txt && ok "analyze pruning" || bad "analyze pruning: $(cat map.txt)"
h5check "$ft/run.h5" --status completed --expect "analysis/pruning/sample[0]=0" --expect "analysis/pruning/layer[0]=0" \
  --expect "analysis/pruning/token[0]=C" && ok "/analysis/pruning rows, the run still completed" || bad "pruning rows"
$attnlab report "$ft" --out report > report.txt 2>&1 || bad "report failed: $(tail -3 report.txt)"
grep -q "Context pruned vs perplexity" report/report.md && grep -q "Pruning maps" report/report.html \
  && grep -q "rgba(200,30,30," report/report.html && ok "report: sparsity table and pruning map" \
  || bad "report lacks the DCP sections"

check_user_error "init_from missing" "does not exist" run $fast mixer=dcp init_from=nowhere
check_user_error "init_from of other data" "trained on other data (data.path is" run $fast data.path=configs/config.yaml mixer=dcp init_from="$base"
check_user_error "trainable new without init_from" "init_from is not set" run $fast train.trainable=new
check_user_error "trainable typo" "train.trainable" run $fast train.trainable=some
check_user_error "pruning map of a dense run" "no pruning layer" analyze pruning "$base" --text "Call me"
check_user_error "pruning map of an empty text" "--text is empty" analyze pruning "$ft" --text ""
ls ft/default | wc -l | grep -qx 1 && ok "failed runs left nothing behind" || bad "stray run dirs: $(ls ft/default)"
finish
