#!/usr/bin/env bash
# CI test of the external project: install attnlab from its build tree into a temporary prefix,
# build this project against the installed package only, check the mixer numerically, then train
# them next to softmax in a 3-job sweep with the project's own `attnlab` and find it in the report.
# usage: test.sh <attnlab build dir> <attnlab source dir>
set -euo pipefail
build=$(realpath "$1") source=$(realpath "$2")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
step() { echo "== $*"; }

step "cmake --install into $work/prefix"
cmake --install "$build" --prefix "$work/prefix" > "$work/install.txt"
step "configure and build examples/external_variant against it"
cmake -S "$source/examples/external_variant" -B "$work/build" -G Ninja -DCMAKE_PREFIX_PATH="$work/prefix" > "$work/configure.txt"
cmake --build "$work/build" -j "$(nproc)" > "$work/build.txt" || { tail -30 "$work/build.txt"; exit 1; }
if grep -q "$source/framework\|$build" "$work/build/build.ninja"; then
  echo "FAIL: the example's build refers to attnlab's source or build tree, not only to the installed package"; exit 1
fi
step "numerical test of the decay mixer"
"$work/build/test_decay_mixer"
step "numerical test of the knorm policy"
"$work/build/test_knorm_policy"
step "numerical test of the sinusoid Q/K source"
"$work/build/test_sinusoid_qk"
cd "$work/build"
step "the project's attnlab lists its mixer"
./attnlab list mixers | grep -E "^ *decay " || { echo "FAIL: decay not listed"; ./attnlab list mixers; exit 1; }
./attnlab list policies | grep -E "^ *knorm " || { echo "FAIL: knorm not listed"; ./attnlab list policies; exit 1; }
./attnlab list qk_sources | grep -E "^ *sinusoid " || { echo "FAIL: sinusoid not listed"; ./attnlab list qk_sources; exit 1; }
step "a 3-job sweep: mixer=softmax,decay,sinusoid_qk on a slice of Moby Dick"
head -c 60000 "$source/data/moby_dick/moby_dick.txt" > small.txt
./attnlab run -m mixer=softmax,decay,sinusoid_qk data.path=small.txt model.n_layers=2 model.d_model=32 model.n_heads=2 model.ctx=32 \
  train.steps=30 train.batch_size=4 train.warmup_steps=2 train.eval_every=15 eval.max_windows=4 eval.batch_size=4 \
  threads=1 out_dir=runs > sweep.txt 2>&1 || { tail -20 sweep.txt; exit 1; }
sweep=$(ls -d runs/default/*/)
grep -c "status: completed" "$sweep/index.yaml" | grep -qx 3 || { echo "FAIL: index: $(cat "$sweep/index.yaml")"; exit 1; }
step "the softmax run evaluated under the knorm policy at ratio 2"
./attnlab eval "$sweep/mixer=softmax" cache=knorm cache.ratio=2 > eval.txt 2>&1 || { tail -20 eval.txt; exit 1; }
/usr/bin/python3 - "$sweep/mixer=softmax/run.h5" <<'PY' || { cat eval.txt; exit 1; }
import sys
try:
    import h5py
except ImportError:
    print("h5py missing: /eval_budget not inspected"); sys.exit(0)
f = h5py.File(sys.argv[1], "r")
policy = [p.decode() if isinstance(p, bytes) else p for p in f["eval_budget/policy"][:]]
assert policy[-1] == "knorm", policy
print("/eval_budget row:", policy[-1], "ratio", f["eval_budget/ratio"][-1], "ppl", f["eval_budget/ppl"][-1])
PY
step "the report shows both"
./attnlab report "$sweep" --out report > report.txt 2>&1 || { cat report.txt; exit 1; }
grep -E "mixer=decay|decay" report/report.md | head -3
grep -q "decay" report/report.md && grep -q "sinusoid_qk" report/report.md && grep -q "softmax" report/report.md || { echo "FAIL: report.md:"; cat report/report.md; exit 1; }
echo "external variant: a mixer, a Q/K source and an eviction policy built against the installed attnlab, tested, trained, evaluated and reported"
