#!/usr/bin/env bash
# Hostile inputs, table-driven: every row must exit with code 2, print exactly one line on stderr
# containing the expected words, and damage nothing already on disk: every file that existed
# before the row (configs, corpora, a completed run with its checkpoint and run.h5, a sweep) is
# byte-identical afterwards, and no new file appears (except in full_disk/ and tiny_disk/, where
# the disk-full rows write: the run they leave must still open with h5py, and data/cache, where a
# failing run may add a token cache of a new corpus).
# usage: hostile_inputs_test.sh <attnlab binary> <source dir>
set -u
source "$(dirname "$0")/../cli/common.sh" "$1" "$2"
chmod 755 "$work"  # the read-only row runs as an unprivileged user, who must read configs and corpora

# --- inputs ---------------------------------------------------------------------------------
mkdir -p data emptydir
printf '' > empty.txt
printf 'good text \xff\xfe bad bytes\n' > latin1.txt
head -c 20000 /dev/urandom > binary.txt
printf 'text with a \0 NUL byte\n' > nul.txt
head -c 3000 /dev/urandom > garbage.yaml
python3 -c "print('x' * 3_000_000, end='')" > hugeline.txt  # one 3 MB line: over SentencePiece's line limit
printf 'train:\n  lr: fast\n' > bad_type.yaml
printf 'train:\n  lr: .nan\n' > nan_lr.yaml
mkfifo fifo.txt
truncate -s 1T sparse.txt  # a 1 TiB corpus that takes no disk: its shards could not fit (not hashed by snapshot)
printf 'train:\n\tlr: 0.1\n' > tabs.yaml
printf 'train:\n  lr: 0.1\n    steps: 3\n' > indent.yaml
printf 'train:\n  lr: 0.1\n  lr: 0.2\n' > duplicate.yaml
printf 'train:\n  name: "abc\n' > quote.yaml
printf 'model:\n  - 1\n  - 2\n' > list.yaml
printf -- '- a\n- b\n' > top_list.yaml
printf 'defaults:\n  - model: huge\n' > missing_option.yaml
printf 'defaults:\n  - nogroup: x\n' > missing_group.yaml
printf 'train:\n  lr: ${train.rate}\n' > unresolved.yaml
printf 'train:\n  lr: ${train.min_lr}\n  min_lr: ${train.lr}\n' > cycle.yaml
printf 'train:\n  lr: ${train.lr}\n' > self_cycle.yaml
printf 'train:\n  lr: ${train.lr\n' > open_interpolation.yaml
printf 'sweep:\n  train.lr: [1, 2\n' > bad_sweep.yaml
printf 'claims:\n  - {name: c, left: {mixer: mlp}, op: "<", right: {mixer: softmax}, metric: val_pll}\n' > bad_claim.yaml
mkdir -p bad_prepared && printf 'format: attnlab-token-shards-1\ncorpus: x\ntokenizer: chr\nvocab_size: 5\n' > bad_prepared/index.yaml
quick="train.steps=1 train.eval_every=1 model.ctx=8 train.batch_size=2 eval.max_windows=1"
# a completed run with a checkpoint: the target of resume/eval/report rows, and must survive them all
$attnlab run $fast train.steps=4 train.eval_every=2 out_dir=previous > previous.txt 2>&1 || { bad "set-up run: $(tail -2 previous.txt)"; finish; exit; }
prev=$(ls -d previous/default/*/)
prev=${prev%/}
cp -r "$prev" cut_checkpoint && head -c 4000 "$prev/checkpoint.pt" > cut_checkpoint/checkpoint.pt
cp -r "$prev" text_checkpoint && echo "not a checkpoint" > text_checkpoint/checkpoint.pt
cp -r "$prev" cut_h5 && head -c 3000 "$prev/run.h5" > cut_h5/run.h5
cp -r "$prev" text_h5 && echo "not hdf5" > text_h5/run.h5
cp -r "$prev" no_checkpoint && rm no_checkpoint/checkpoint.pt
$attnlab run $fast train.steps=2 train.eval_every=2 model.d_model=48 out_dir=wider > /dev/null 2>&1
other_arch=$(ls -d wider/default/*/)checkpoint.pt
$attnlab run data=mqar model.n_layers=1 model.d_model=32 model.n_heads=2 data.task.train_examples=50 data.task.test_examples=20 \
  train.steps=2 train.eval_every=2 train.batch_size=4 threads=1 out_dir=task > /dev/null 2>&1
cp -r "$(ls -d task/default/*/)" task_run
tail -c 30000 "$corpus" > other_text.txt  # valid text, another corpus: another character vocabulary
mkdir -p bad_sweep_dir && printf 'config_dir: configs\nexperiment_file: ""\n' > bad_sweep_dir/sweep.yaml && printf 'jobs: [\n' > bad_sweep_dir/index.yaml
mkdir -p readonly && chmod 555 readonly
tmpfs=""
if [ "$(id -u)" -eq 0 ] && mkdir -p tiny_disk && mount -t tmpfs -o size=3m tmpfs tiny_disk 2> /dev/null; then
  tmpfs=tiny_disk
  trap 'umount "$work/tiny_disk" 2> /dev/null; rm -rf "$work"' EXIT
fi

# --- the table: name | expected words | flags | arguments --------------------------------------
# flags: - none; fsize=K runs under `ulimit -f K` (KiB); unprivileged runs as uid 65534 when root;
# needs_tmpfs skips the row where no tmpfs can be mounted (not root).
table=$(cat <<'ROWS'
missing corpus | corpus 'kjv' not found | - | run data=kjv data.root=nowhere $quick
missing file | data.path: file not found: nope.txt | - | run data.path=nope.txt $quick
empty corpus | empty | - | run data.path=empty.txt $quick
non-UTF-8 corpus | invalid UTF-8 byte 0xff | - | run data.path=latin1.txt $quick
binary corpus | invalid UTF-8 byte | - | run data.path=binary.txt $quick
NUL byte in corpus | NUL byte at byte offset 12 | - | run data.path=nul.txt $quick
huge-line corpus, BPE | every line of the training text is longer than 1048576 bytes | - | run data.path=hugeline.txt data.tokenizer=bpe data.vocab_size=300 $quick
unknown mixer | unknown mixer 'softmx' (did you mean 'softmax'?) | - | run data.path=small.txt mixer.name=softmx $quick
unknown group option | no option 'softmx' in group 'mixer' (did you mean 'softmax'?) | - | run mixer=softmx
unknown group | key 'nogroup' not in config | - | run nogroup=x
unknown config key | key 'model.d_modle' not in config (did you mean 'model.d_model'?) | - | run model.d_modle=64
unknown key in a file | unknown key 'model.d_modle' (did you mean 'd_model'?) | - | run ++model.d_modle=64 data.path=small.txt
wrong type | model.d_model: expected an integer, got 'big' | - | run model.d_model=big
wrong type in a file | bad_type.yaml:2:7: train.lr: expected a number | - | run bad_type.yaml
wrong type of a list | threads: expected an integer | - | run threads=[1,2]
out-of-range value | train.steps: must be >= 0 | - | run train.steps=-5
a device as the corpus | data.path: /dev/zero is not a regular file or a folder | - | run data.path=/dev/zero $quick
a FIFO as the corpus | is not a regular file or a folder | - | run data.path=fifo.txt $quick
a glob that matches nothing | data.path.1: no file matches 'nomatch_*.txt' | - | run 'data.path=[small.txt,nomatch_*.txt]' $quick
a document named twice | data.path: small.txt is named twice (by 'small.txt' and 'smal?.txt') | - | run 'data.path=[small.txt,smal?.txt]' $quick
a recursive glob | recursive globs are not supported | - | run 'data.path=**/*.txt' $quick
a corpus whose shards cannot fit the disk | corpus 'sparse' holds 1024.00 GiB of text; its token shards may need 2048.00 GiB in data/cache | - | run data.path=sparse.txt $quick
not a prepared token folder | emptydir: not a prepared token folder (no index.yaml) | - | run data.prepared=emptydir $quick
a damaged prepared index | bad_prepared/index.yaml:3:12: tokenizer: unknown value 'chr' (did you mean 'char'?) | - | run data.prepared=bad_prepared $quick
prepare-data for a probe task | prepare-data: data is a probe task | - | prepare-data data=mqar
infinite learning rate | train.lr: expected a finite number, got 'inf' | - | run train.lr=inf $quick
NaN in a file | nan_lr.yaml:2:7: train.lr: expected a finite number, got '.nan' | - | run nan_lr.yaml
negative thread count | threads: must be >= 0 (0 = one per core), got -1 | - | run threads=-1 $quick
seq_len beyond the context | train.seq_len: 100000 is longer than model.ctx 256 | - | run train.seq_len=100000
a run that cannot fit in memory | GiB available here (MemAvailable) | - | run data.path=small.txt model.ctx=100000 train.batch_size=16
inconsistent values | model.n_heads: must divide d_model | - | run model.d_model=30 model.n_heads=4
unknown choice | device: unknown value 'tpu' (did you mean 'cpu'?) | - | run device=tpu
tab indentation | tabs.yaml:2 | - | run tabs.yaml
bad indentation | indent.yaml:3 | - | run indent.yaml
duplicate key | duplicate key 'lr' | - | run duplicate.yaml
unterminated quote | quote.yaml:2 | - | run quote.yaml
binary YAML | garbage.yaml: | - | run garbage.yaml
list where a map is expected | model: expected a map, got a list | - | run list.yaml
list at the top level | top_list.yaml:1:1: expected a map at the top level | - | run top_list.yaml
missing group option in a file | missing_option.yaml:2 | - | run missing_option.yaml
missing group in a file | missing_group.yaml:2 | - | run missing_group.yaml
unresolvable interpolation | cannot resolve ${train.rate} | - | run unresolved.yaml
cyclic interpolation | interpolation cycle | - | run cycle.yaml
self-referencing interpolation | interpolation cycle: train.lr -> train.lr | - | run self_cycle.yaml
unterminated interpolation | unterminated ${ | - | run open_interpolation.yaml
bad sweep block | bad_sweep.yaml | - | run -m bad_sweep.yaml
comma list without -m | -m | - | run train.lr=1,2
bad override syntax | bad override | - | run model..d_model=3
unterminated flow list | unterminated '[' | - | run 'model.d_model=[1,2'
bad range() | range argument '' is not a number | - | run -m 'train.lr=range(1,)'
add an existing key | key 'train.lr' is already in config | - | run +train.lr=1
delete a missing key | key 'train.nokey' not in config | - | run '~train.nokey'
missing experiment file | not found | - | run experiments_missing.yaml
unknown subcommand | frobnicate | - | frobnicate
unknown option | --frobnicate | - | run --frobnicate
resume of a non-run | not a run directory | - | train --resume emptydir
resume without a checkpoint | no checkpoint to resume from | - | train --resume no_checkpoint
resume from a truncated checkpoint | cannot be read (truncated or not an attnlab checkpoint) | - | train --resume cut_checkpoint
resume from a non-checkpoint file | cannot be read (truncated or not an attnlab checkpoint) | - | train --resume text_checkpoint
resume with a truncated run.h5 | cut_h5/run.h5: cannot open run file | - | train --resume cut_h5
resume of a sweep with a broken index | bad_sweep_dir/index.yaml | - | run --resume bad_sweep_dir
eval of a truncated checkpoint | cannot be read (truncated | - | eval cut_checkpoint
eval with a truncated run.h5 | truncated or corrupt HDF5 file | - | eval cut_h5
report of a truncated run.h5 | truncated or corrupt HDF5 file | - | report cut_h5 --out report_cut
report of a non-HDF5 run.h5 | not an HDF5 file | - | report text_h5 --out report_text
report of a folder without runs | no run.h5 files under emptydir | - | report emptydir --out report_empty
report, a claim with an unknown metric | bad_claim.yaml:2: claims[0].metric: unknown metric 'val_pll' (did you mean 'val_ppl'?) | - | report task_run --claims bad_claim.yaml --out report_claim
report, a claims file that does not exist | --claims nope.yaml: no such file | - | report task_run --claims nope.yaml --out report_claim
warm start, checkpoint of another architecture | has shape | - | run $fast init_from=$other_arch $quick
warm start, vocabulary of another corpus | trained on other data | - | run $fast data.path=other_text.txt init_from=$prev/checkpoint.pt $quick
warm start from a truncated checkpoint | cannot be read (truncated | - | run $fast init_from=cut_checkpoint/checkpoint.pt $quick
unknown task | unknown value 'mqr' (did you mean 'mqar'?) | - | run data=mqar data.task.name=mqr $quick
task: more pairs than the length allows | data.task.num_kv_pairs: 40 pairs x 1 passes and 40 queries need seq_len >= 160, got 64 | - | run data=mqar data.task.num_kv_pairs=40 $quick
task: vocabulary too small | data.task.vocab_size: 16 is too small for 8 distinct keys | - | run data=mqar data.task.vocab_size=16 $quick
task: negative power_a | data.task.power_a: must be in (0, 1], got -0.5 | - | run data=mqar data.task.power_a=-0.5 $quick
task: unknown task option | unknown key 'data.task.num_pairs' | - | run data=mqar ++data.task.num_pairs=4 $quick
task: bad loss | data.task.loss: unknown value 'every' | - | run data=mqar data.task.loss=every $quick
task: longer than the model's context | model.ctx = 8 is shorter than the task's sequences | - | run data=mqar $quick
task: eval, a budget below what the policy keeps, checked before any row | must exceed the 10 tokens the policy always keeps | - | eval task_run -m cache=full,scissorhands cache.ratio=8
task: generate from a task run | a probe-task run (data.task) has no tokenizer | - | generate task_run --prompt hi
disk full (ulimit -f) | not enough room | fsize=48 | run $fast train.steps=200 train.eval_every=10 train.log_every=1 out_dir=full_disk
disk full (3 MiB tmpfs), a checkpoint larger than the room left | No space left on device | needs_tmpfs | run $fast model.d_model=128 model.n_heads=4 train.steps=200 train.eval_every=50 train.checkpoint_every=1 train.keep_checkpoints=true out_dir=tiny_disk/runs
read-only output directory | Permission denied | unprivileged | run data.path=small.txt $quick out_dir=readonly/runs
ROWS
)

# data/cache holds derived token and tokenizer caches, which a failing run may add to (never change)
snapshot() { find . -type f ! -name stdout ! -name stderr ! -name sparse.txt ! -path './tiny_disk/*' ! -path './full_disk/*' ! -path './data/cache/*' -print0 | sort -z | xargs -0 sha256sum; }
trim() { sed 's/^ *//;s/ *$//' <<< "$1"; }
rows=0 skipped=0
while IFS='|' read -r name expected flags args; do
  name=$(trim "$name") expected=$(trim "$expected") flags=$(echo "$flags" | tr -d ' ')
  rows=$((rows + 1))
  if [[ ",$flags," == *",needs_tmpfs,"* ]] && [ -z "$tmpfs" ]; then echo "skip $name: no tmpfs (needs root)"; skipped=$((skipped + 1)); continue; fi
  eval "set -- $args"
  wrapper=()
  [[ ",$flags," == *",unprivileged,"* ]] && [ "$(id -u)" -eq 0 ] && wrapper=(setpriv --reuid=65534 --regid=65534 --clear-groups)
  limit=unlimited
  [[ ",$flags," =~ ,fsize=([0-9]+), ]] && limit=${BASH_REMATCH[1]}
  before=$(snapshot)
  (ulimit -f "$limit"; exec "${wrapper[@]}" "$attnlab" "$@") > stdout 2> stderr; code=$?
  after=$(snapshot)
  lines=$(grep -c '' stderr)
  if [ "$code" -ne 2 ] || [ "$lines" -ne 1 ] || ! grep -qF -- "$expected" stderr; then
    bad "$name: exit $code (want 2), $lines stderr line(s) (want 1, containing '$expected'): $(head -c 400 stderr)"
  elif [ "$before" != "$after" ]; then
    bad "$name: files changed: $(diff <(echo "$before") <(echo "$after") | grep '^[<>]' | head -3 | tr '\n' ' ')"
  elif [ -d runs ]; then
    bad "$name: a run directory was left behind: $(find runs | head -3 | tr '\n' ' ')"; rm -rf runs
  else
    ok "$name: $(cat stderr)"
  fi
  rm -rf runs
done <<< "$table"
for run_h5 in full_disk/default/*/run.h5 tiny_disk/runs/default/*/run.h5; do
  [ -f "$run_h5" ] || continue
  h5check "$run_h5" > check.txt && ok "the run left by a full disk opens with h5py: $run_h5" || bad "$run_h5 after a full disk: $(cat check.txt)"
done
echo "$rows rows, $skipped skipped"
finish
