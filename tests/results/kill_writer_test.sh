#!/bin/bash
# kill -9 a run-file writer at 5 random moments; each file must open in h5py with status `running`
# and every /train row up to the last completed flush intact.
# usage: kill_writer_test.sh WRITER check_run_h5.py   (ATTNLAB_PYTHON: a python with h5py)
set -uo pipefail
writer=$1 check=$2 python=${ATTNLAB_PYTHON:-/usr/bin/python3}
"$python" -c "import h5py" 2>/dev/null || { echo "skip: no h5py for $python"; exit 77; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
failed=0
for i in 1 2 3 4 5; do
  flush_every=$((RANDOM % 20 + 1))
  "$writer" "$dir/run$i.h5" "$flush_every" "$dir/progress$i.txt" &
  pid=$!
  for _ in $(seq 1200); do [ -s "$dir/progress$i.txt" ] && break; sleep 0.05; done  # created and flushed once (a loaded machine may take seconds)
  sleep "0.$((RANDOM % 60 + 20))"
  kill -9 "$pid"
  wait "$pid" 2>/dev/null
  flushed=$(tail -n 1 "$dir/progress$i.txt" 2>/dev/null)
  flushed=${flushed:-0}
  echo "kill $i: flush every $flush_every rows, killed after $flushed flushed rows"
  if ! "$python" "$check" "$dir/run$i.h5" --status running --synthetic "$flushed" --min-rows "train=$flushed"; then
    failed=1
  fi
done
exit $failed
