#!/usr/bin/env bash
# Inference on a tiny trained run: `attnlab eval` (budgets, -m sweeps, rows in /eval_budget),
# `attnlab generate`, `attnlab analyze persistence`, the report's budget section, and bad input.
# usage: eval_test.sh <attnlab binary> <source dir>
set -u
source "$(dirname "$0")/common.sh" "$1" "$2"
py() { /usr/bin/python3 - "$@"; }

$attnlab run $fast train.steps=10 train.eval_every=10 > train.txt 2>&1 || { bad "training failed: $(tail -3 train.txt)"; finish; exit 1; }
run=$(ls -d runs/default/*/)

# full cache at ratio 1: the token-by-token loss equals the parallel /eval loss
$attnlab eval "$run" > eval1.txt 2>&1 && ok "eval (full cache)" || bad "eval failed: $(cat eval1.txt)"
py "$run/run.h5" <<'PY' && ok "full-cache loss equals the parallel eval loss" || bad "full-cache loss differs"
import sys, h5py
f = h5py.File(sys.argv[1], "r")
a, b = f["eval/loss"][-1], f["eval_budget/loss"][0]
print("eval loss", a, "budget loss", b)
sys.exit(0 if abs(a - b) < 1e-5 and f["eval_budget/policy"].asstr()[0] == "full" else 1)
PY

# a sweep over policies and ratios, in-process
$attnlab eval "$run" -m cache=h2o,scissorhands cache.ratio=1,2,4 ++cache.recent=2 > sweep.txt 2>&1 \
  && ok "eval -m: $(grep -c 'ratio' sweep.txt) lines" || bad "eval -m failed: $(tail -3 sweep.txt)"
h5check "$run/run.h5" --status completed --rows eval_budget=7 --expect "eval_budget/policy[6]=scissorhands" \
  --expect "eval_budget/ratio[6]=4" --expect "eval_budget/budget[6]=8" \
  && ok "7 rows in /eval_budget, the run still completed" || bad "h5 check of /eval_budget"
py "$run/run.h5" <<'PY' && ok "kv_bytes at ratio 4 is a quarter of the full cache" || bad "kv_bytes"
import sys, h5py
f = h5py.File(sys.argv[1], "r")
kv, ratio = f["eval_budget/kv_bytes"][:], f["eval_budget/ratio"][:]
print("kv_bytes", list(kv))
sys.exit(0 if all(k * 4 == kv[0] for k, r in zip(kv, ratio) if r == 4) else 1)
PY

# generation: seeded, under a budget
$attnlab generate "$run" --prompt "Call me" --max-new 30 --policy window --budget 8 --seed 3 > gen1.txt 2> gen_err.txt \
  && ok "generate: $(head -c 60 gen1.txt | tr '\n' ' ')" || bad "generate failed: $(cat gen_err.txt)"
$attnlab generate "$run" --prompt "Call me" --max-new 30 --policy window --budget 8 --seed 3 > gen2.txt 2>/dev/null
cmp -s gen1.txt gen2.txt && grep -q '^Call me' gen1.txt && ok "generate is seeded" || bad "generate differs between runs"

# persistence
$attnlab analyze persistence "$run" > persistence.txt 2>&1 && ok "analyze persistence" || bad "analyze failed: $(cat persistence.txt)"
h5check "$run/run.h5" --rows analysis/persistence=2 --status completed && ok "/analysis/persistence: 2 layers" || bad "persistence rows"

# the report's budget section
$attnlab report "$run" --out report > report.txt 2>&1 || bad "report failed: $(tail -3 report.txt)"
grep -q "Perplexity under a KV-cache budget" report/report.md && grep -q "Persistence of importance" report/report.md \
  && grep -q "Perplexity vs KV-cache compression" report/report.html && ok "report: budget table, plot, persistence" \
  || bad "report lacks the budget section"

# a recurrent mixer: the policy does not apply
$attnlab run $fast mixer=taylor train.steps=2 train.eval_every=2 > taylor.txt 2>&1
taylor=$(ls -d runs/default/*/ | grep -v "^$run$" | head -1)
$attnlab eval "$taylor" cache=window cache.ratio=2 > taylor_eval.txt 2>&1 && grep -q "do not apply" taylor_eval.txt \
  && ok "recurrent mixer: window policy and budget do not apply" || bad "taylor eval: $(cat taylor_eval.txt)"

# bad input: exit 2, one line
check_user_error "ratio < 1" "cache.ratio" eval "$run" cache=h2o cache.ratio=0.5
check_user_error "budget <= recent window" "must exceed the 10 tokens" eval "$run" cache=scissorhands cache.budget=8
check_user_error "unknown policy" "did you mean 'scissorhands'" eval "$run" cache=scisorhands
check_user_error "model override" "cannot change 'model'" eval "$run" model.d_model=64
check_user_error "missing run dir" "no such run directory" eval runs/nope
mkdir -p norun && cp "$run/config.yaml" norun/
check_user_error "missing checkpoint" "no checkpoint" eval norun
check_user_error "sweep without -m" "-m" eval "$run" cache.ratio=1,2
check_user_error "generate: empty prompt" "--prompt" generate "$run" --prompt "" --max-new 3
check_user_error "weights policy, recurrent mixer" "no layer of this model has any" eval "$taylor" cache=h2o cache.ratio=2
check_user_error "weights policy, recurrent mixer (generate)" "no layer of this model has any" generate "$taylor" --prompt "Call" --max-new 40 --policy scissorhands --ratio 2
finish
