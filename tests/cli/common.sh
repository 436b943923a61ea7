# Shared set-up of the CLI tests: a scratch folder with the configs, a small real-text corpus
# (a slice of Moby Dick installed by scripts/setup.sh) and a fast model.
# usage: source common.sh <attnlab binary> <source dir>
attnlab=$1
source_dir=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
cp -r "$source_dir/configs" configs
corpus="$source_dir/data/moby_dick/moby_dick.txt"
if [ ! -f "$corpus" ]; then
  echo "missing $corpus: run scripts/setup.sh first"
  exit 1
fi
head -c 60000 "$corpus" > small.txt
# a 2-layer, 32-wide model that trains a step in milliseconds
fast="data.path=small.txt model.n_layers=2 model.d_model=32 model.n_heads=2 model.ctx=32 train.batch_size=4 \
train.warmup_steps=2 eval.max_windows=4 eval.batch_size=4 threads=1"

passed=0
failed=0
ok() { echo "ok   $*"; passed=$((passed + 1)); }
bad() { echo "FAIL $*"; failed=$((failed + 1)); }
finish() { echo "$passed passed, $failed failed"; [ "$failed" -eq 0 ]; }
# check_user_error NAME EXPECTED ARGS...: `attnlab ARGS` must exit 2 with exactly one stderr line containing EXPECTED.
check_user_error() {
  local name=$1 expected=$2
  shift 2
  "$attnlab" "$@" > /dev/null 2> err.txt; local code=$?
  if [ "$code" -eq 2 ] && [ "$(grep -c '' err.txt)" -eq 1 ] && grep -qF -- "$expected" err.txt; then
    ok "$name"
  else
    bad "$name: exit $code, stderr: $(cat err.txt)"
  fi
}
h5check() { /usr/bin/python3 "$source_dir/tests/results/check_run_h5.py" "$@"; }
