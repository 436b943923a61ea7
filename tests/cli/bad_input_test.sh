#!/usr/bin/env bash
# Bad input to the attnlab CLI: each case must exit with code 2, print exactly one line on stderr
# that contains the expected words, and leave no run directory behind.
# usage: bad_input_test.sh <attnlab binary> <source dir>
set -u
source "$(dirname "$0")/common.sh" "$1" "$2"
mkdir -p data
printf '' > empty.txt
printf 'good text \xff\xfe bad bytes\n' > latin1.txt

check() {  # name, expected substring, args...
  local name=$1 expected=$2
  shift 2
  local out err code
  out=$("$attnlab" "$@" 2>"$work/stderr" >"$work/stdout"); code=$?
  err=$(cat "$work/stderr")
  local lines
  lines=$(grep -c '' "$work/stderr")
  if [ "$code" -ne 2 ]; then
    echo "FAIL $name: exit code $code (want 2); stderr: $err"; failed=$((failed + 1)); return
  fi
  if [ "$lines" -ne 1 ]; then
    echo "FAIL $name: $lines stderr lines (want 1): $err"; failed=$((failed + 1)); return
  fi
  if ! grep -qF -- "$expected" "$work/stderr"; then
    echo "FAIL $name: stderr lacks '$expected': $err"; failed=$((failed + 1)); return
  fi
  if [ -d runs ]; then
    echo "FAIL $name: a run directory was left behind: $(find runs | head -3 | tr '\n' ' ')"; failed=$((failed + 1)); rm -rf runs; return
  fi
  echo "ok   $name: $err"
  passed=$((passed + 1))
}

quick="train.steps=1 train.eval_every=1 model.ctx=8 train.batch_size=2 eval.max_windows=1"
check "missing corpus" "corpus 'kjv' not found" run data=kjv data.root=nowhere $quick
check "missing file" "data.path: file not found: nope.txt" run data.path=nope.txt $quick
check "empty corpus" "empty" run data.path=empty.txt $quick
check "non-UTF-8 corpus" "invalid UTF-8 byte 0xff" run data.path=latin1.txt $quick
check "unknown mixer" "unknown mixer 'softmx' (did you mean 'softmax'?)" run data.path=small.txt mixer.name=softmx $quick
check "unknown mixer option" "no option 'softmx' in group 'mixer' (did you mean 'softmax'?)" run mixer=softmx
check "unknown config key" "key 'model.d_modle' not in config (did you mean 'model.d_model'?)" run model.d_modle=64
check "unknown key in a file" "unknown key 'model.d_modle' (did you mean 'd_model'?)" run ++model.d_modle=64 data.path=small.txt
check "wrong type" "model.d_model: expected an integer, got 'big'" run model.d_model=big
printf 'train:\n  lr: fast\n' > bad_type.yaml
check "wrong type in a file" "bad_type.yaml:2:7: train.lr: expected a number" run bad_type.yaml
printf 'train:\n\tlr: 0.1\n' > tabs.yaml
check "tab indentation" "tabs.yaml:2" run tabs.yaml
printf 'train:\n  lr: 0.1\n    steps: 3\n' > indent.yaml
check "bad indentation" "indent.yaml:3" run indent.yaml
printf 'train:\n  lr: 0.1\n  lr: 0.2\n' > duplicate.yaml
check "duplicate key" "duplicate key 'lr'" run duplicate.yaml
printf 'train:\n  name: "abc\n' > quote.yaml
check "unterminated quote" "quote.yaml:2" run quote.yaml
printf 'model:\n  - 1\n  - 2\n' > list.yaml
check "list where a map is expected" "model: expected a map, got a list" run list.yaml
printf 'defaults:\n  - model: huge\n' > missing_option.yaml
check "missing group option in a file" "missing_option.yaml:2" run missing_option.yaml
printf 'train:\n  lr: ${train.rate}\n' > unresolved.yaml
check "unresolvable interpolation" "cannot resolve \${train.rate}" run unresolved.yaml
printf 'train:\n  lr: ${train.min_lr}\n  min_lr: ${train.lr}\n' > cycle.yaml
check "cyclic interpolation" "interpolation cycle" run cycle.yaml
check "comma list without -m" "-m" run train.lr=1,2
check "bad override syntax" "bad override" run model..d_model=3
check "missing experiment file" "not found" run experiments_missing.yaml
check "resume of a non-run" "not a run directory" train --resume "$work"

finish
