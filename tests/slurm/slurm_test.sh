#!/usr/bin/env bash
# launcher=slurm against a real Slurm: starts munged, slurmctld and slurmd on localhost (a
# one-node cluster with a generated slurm.conf in a temp folder, its own munge key and ports),
# then
#   1. a 4-job sweep as one job array (-j 2: %2 throttle): every job completes, index.yaml
#      records completed x4 with the Slurm ids, run.h5 files pass the schema check;
#      a single run with launcher=slurm: a sweep of one job;
#   2. a 4-job sweep where one running task is cancelled (scancel <job>_<index>) after its first
#      checkpoint: it is marked failed (CANCELLED, in index.yaml and run.h5), the other 3 complete;
#      a resume while the array still runs is refused; `attnlab run --resume` submits an array of
#      just that index, which continues from the checkpoint, and all 4 end completed;
#   3. the submitting process killed (kill -9) while its array runs: the array goes on, and resume
#      recognises the jobs that completed meanwhile (nothing resubmitted);
#   4. SIGINT (Ctrl-C) to the waiting `attnlab run`: the array is cancelled, its jobs recorded CANCELLED;
#   5. errors: sbatch missing, sbatch rejecting the array (bad partition), a swept launcher option:
#      exit 2, one line, no sweep left;
#   6. a data-parallel run (distributed.nproc=2): srun starts 2 ranks, and the curve equals the
#      local 2-rank run's, bit for bit.
# Needs root and the packages of scripts/setup.sh (slurm-wlm, munge); exits 77 (skipped) without them.
# Accounting: no slurmdbd (it needs a MariaDB server): AccountingStorageType=accounting_storage/none,
# so sacct has nothing and the launcher reads the final states from scontrol (MinJobAge keeps them).
# The daemons are stopped at exit (every job cancelled first), whatever happened.
# usage: slurm_test.sh <attnlab binary> <source dir>
set -u
if [ "$(id -u)" -ne 0 ]; then
  echo "skip: starting slurmctld/slurmd needs root"
  exit 77
fi
export PATH="$PATH:/usr/sbin:/sbin"  # the daemons live in sbin
for program in munged slurmctld slurmd sbatch scontrol squeue scancel sinfo /usr/bin/python3; do
  if ! command -v "$program" > /dev/null; then
    echo "skip: $program not installed (scripts/setup.sh installs slurm-wlm and munge)"
    exit 77
  fi
done

# absolute paths: common.sh moves to a scratch folder, and the array tasks run the binary by its path
source "$(dirname "$0")/../cli/common.sh" "$(readlink -f "$1")" "$(readlink -f "$2")"
slurm=$work/slurm
mkdir -p "$slurm/state" "$slurm/spool" "$slurm/log"
munged_pid="" slurmctld_pid="" slurmd_pid="" submitter_pid=""

stop_cluster() {
  trap - EXIT
  [ -n "$submitter_pid" ] && kill "$submitter_pid" 2> /dev/null && wait "$submitter_pid" 2> /dev/null
  if [ -n "$slurmctld_pid" ]; then  # no job may outlive the cluster: cancel them all and wait for the end
    scancel --quiet $(squeue -h -o %A 2> /dev/null | sort -u) 2> /dev/null
    for _ in $(seq 100); do
      [ -z "$(squeue -h 2> /dev/null)" ] && break
      sleep 0.2
    done
  fi
  for pid in $slurmd_pid $slurmctld_pid $munged_pid; do
    kill "$pid" 2> /dev/null
    for _ in $(seq 50); do kill -0 "$pid" 2> /dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2> /dev/null
    wait "$pid" 2> /dev/null
  done
  cd / && rm -rf "$work"
}
trap stop_cluster EXIT

show_logs() {
  echo "--- slurmctld.log"; tail -15 "$slurm/log/slurmctld.log"
  echo "--- slurmd.log"; tail -15 "$slurm/log/slurmd.log"
}
free_port() { /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# --- a one-node cluster on localhost
host=$(hostname -s)
dd if=/dev/urandom of="$slurm/munge.key" bs=1024 count=1 2> /dev/null
chmod 400 "$slurm/munge.key"
munged -F --force --key-file="$slurm/munge.key" --socket="$slurm/munge.sock" --pid-file="$slurm/munged.pid" \
  --log-file="$slurm/log/munged.log" --seed-file="$slurm/munge.seed" > /dev/null 2>&1 &
munged_pid=$!
cat > "$slurm/slurm.conf" << EOF
ClusterName=attnlabtest
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$(free_port)
SlurmdPort=$(free_port)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$slurm/munge.sock
StateSaveLocation=$slurm/state
SlurmdSpoolDir=$slurm/spool
SlurmctldPidFile=$slurm/slurmctld.pid
SlurmdPidFile=$slurm/slurmd.pid
SlurmctldLogFile=$slurm/log/slurmctld.log
SlurmdLogFile=$slurm/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SlurmdParameters=config_overrides
MpiDefault=none
ReturnToService=2
KillWait=5
MinJobAge=600
NodeName=$host NodeAddr=127.0.0.1 CPUs=2 RealMemory=1000 State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF=$slurm/slurm.conf
for _ in $(seq 50); do [ -S "$slurm/munge.sock" ] && break; sleep 0.1; done
slurmctld -D -i -f "$SLURM_CONF" > /dev/null 2>&1 &
slurmctld_pid=$!
slurmd -D -f "$SLURM_CONF" > /dev/null 2>&1 &
slurmd_pid=$!
state=""
for _ in $(seq 150); do
  state=$(sinfo -h -n "$host" -o %t 2> /dev/null)
  [ "$state" = idle ] && break
  sleep 0.2
done
if [ "$state" != idle ]; then
  echo "skip: the local Slurm did not come up (node state '$state')"
  show_logs
  exit 77
fi
ok "local Slurm up: node $host idle"

# index_field SWEEP JOB_DIR KEY: a job's value in index.yaml
index_field() {
  /usr/bin/python3 - "$@" << 'EOF'
import sys, re
text = open(sys.argv[1] + "/index.yaml").read()
for block in re.split(r"\n\s*- name: ", text):  # one block per job (its overrides are "- ..." items too)
    if re.search(r"\bdir: \"?" + re.escape(sys.argv[2]) + r"\"?\n", block + "\n"):
        m = re.search(r"\b" + sys.argv[3] + r": \"?([^\"\n]*)\"?", block)
        print(m.group(1) if m else "")
EOF
}

# --- 1. four jobs, one array, two at a time
start=$(date +%s)
$attnlab run -m $fast train.steps=6 train.eval_every=3 seed=1,2,3,4 launcher=slurm launcher.poll_s=0.5 -j 2 \
  > out1.txt 2>&1
code=$?
sweep=$(ls -d runs/default/*/ | head -1)
sweep=${sweep%/}
[ "$code" -eq 0 ] && ok "sweep 1 exits 0 ($(($(date +%s) - start)) s)" || { bad "sweep 1 exit $code: $(tail -5 out1.txt)"; show_logs; }
job=$(sed -n 's/^submitted Slurm job \([0-9]*\): array 0-3 (4 tasks, 2 at a time).*/\1/p' out1.txt)
[ -n "$job" ] && ok "one array of 4 tasks, %2: Slurm job $job" || bad "submission line: $(grep -i slurm out1.txt)"
grep -c "status: completed" "$sweep/index.yaml" | grep -qx 4 && ok "index.yaml: completed x4" || bad "index: $(cat "$sweep/index.yaml")"
for i in 0 1 2 3; do
  seed=$((i + 1))
  [ "$(index_field "$sweep" "seed=$seed" slurm_job_id)" = "${job}_$i" ] || bad "seed=$seed: slurm_job_id '$(index_field "$sweep" "seed=$seed" slurm_job_id)'"
  h5check "$sweep/seed=$seed/run.h5" --status completed > /dev/null || bad "seed=$seed run.h5: $(h5check "$sweep/seed=$seed/run.h5" --status completed)"
  [ -s "$sweep/slurm/${job}_$i.out" ] || bad "no task output slurm/${job}_$i.out"
done
ok "each job: its Slurm id ${job}_<index>, run.h5 completed, task output in slurm/"
ls "$sweep/jobs/"*.yaml | wc -l | grep -qx 4 && ok "jobs/: 4 configs composed at launch" || bad "jobs/: $(ls "$sweep/jobs")"
grep -q "name: slurm" "$sweep/sweep.yaml" && grep -q "poll_s: 0.5" "$sweep/sweep.yaml" \
  && ok "sweep.yaml records the launcher and its options" || bad "sweep.yaml: $(cat "$sweep/sweep.yaml")"
grep -qF "run --sweep-task '$PWD/$sweep'" "$sweep/slurm/task.sh" \
  && ok "the batch script runs attnlab run --sweep-task" || bad "task.sh: $(cat "$sweep/slurm/task.sh")"
grep -c "^  completed" out1.txt | grep -qx 4 && ok "summary: 4 completed" || bad "summary: $(tail -6 out1.txt)"

# a single run (no sweep axes) with launcher=slurm: a sweep of one job, "run"
$attnlab run $fast train.steps=6 train.eval_every=3 out_dir=runs1 launcher=slurm launcher.poll_s=0.5 > single.txt 2>&1
code=$?
single=$(ls -d runs1/default/*/ | head -1)
[ "$code" -eq 0 ] && grep -q "array 0 (1 task)" single.txt && h5check "${single}run/run.h5" --status completed > /dev/null \
  && ok "a single run goes through Slurm as a sweep of one job" || bad "single run: exit $code: $(tail -5 single.txt)"

# --- 2. cancel one running task, then resume it through Slurm
long_steps=4000
start=$(date +%s)
$attnlab run -m $fast train.eval_every=1000 train.checkpoint_every=100 train.log_every=100 \
  train.steps=6,$long_steps,7,8 out_dir=runs2 launcher=slurm launcher.poll_s=0.5 > out2.txt 2>&1 &
submitter_pid=$!
: > out2.txt
job=""
for _ in $(seq 300); do
  job=$(sed -n 's/^submitted Slurm job \([0-9]*\):.*/\1/p' out2.txt)
  [ -n "$job" ] && break
  sleep 0.1
done
sweep2=$(ls -d runs2/default/*/ 2> /dev/null | head -1)
sweep2=${sweep2%/}
long_dir="$sweep2/train.steps=$long_steps"
task_state=""
for _ in $(seq 600); do  # until the long task runs and has written its first checkpoint
  task_state=$(squeue -h -j "${job}_1" -o %T 2> /dev/null)
  [ "$task_state" = RUNNING ] && [ -f "$long_dir/checkpoint.pt" ] && break
  sleep 0.2
done
if [ "$task_state" = RUNNING ] && [ -f "$long_dir/checkpoint.pt" ]; then
  ok "task ${job}_1 RUNNING with a checkpoint"
  check_user_error "resume while the array still runs is refused" "of this sweep is still" run --resume "$sweep2"
  scancel "${job}_1"
  ok "scancel ${job}_1"
else
  bad "task ${job}_1 never ran with a checkpoint (state '$task_state'): $(cat out2.txt)"
  show_logs
fi
wait "$submitter_pid"
code=$?
submitter_pid=""
[ "$code" -eq 1 ] && ok "sweep 2 exits 1: a job failed ($(($(date +%s) - start)) s)" || bad "sweep 2 exit $code: $(tail -5 out2.txt)"
grep -c "status: completed" "$sweep2/index.yaml" | grep -qx 3 && ok "3 jobs completed" || bad "index: $(cat "$sweep2/index.yaml")"
error=$(index_field "$sweep2" "train.steps=$long_steps" error)
[ "$(index_field "$sweep2" "train.steps=$long_steps" status)" = failed ] && [[ "$error" == *"Slurm job ${job}_1 CANCELLED"* ]] \
  && ok "the cancelled job is failed: $error" || bad "cancelled job: status $(index_field "$sweep2" "train.steps=$long_steps" status), error '$error'"
h5check "$long_dir/run.h5" --status failed --expect "error=$error" > /dev/null \
  && ok "its run.h5 says failed with the same reason" || bad "run.h5: $(h5check "$long_dir/run.h5" --status failed --expect "error=$error")"
before=$(stat -c %Y "$sweep2/train.steps=6/run.h5")

start=$(date +%s)
$attnlab run --resume "$sweep2" > resume.txt 2>&1
code=$?
[ "$code" -eq 0 ] && ok "resume exits 0 ($(($(date +%s) - start)) s)" || { bad "resume exit $code: $(tail -5 resume.txt)"; show_logs; }
job2=$(sed -n 's/^submitted Slurm job \([0-9]*\): array 1 (1 task).*/\1/p' resume.txt)
[ -n "$job2" ] && [ "$job2" != "$job" ] && ok "resume submitted a new array of just index 1: Slurm job $job2" \
  || bad "resume submission: $(grep -i slurm resume.txt)"
grep -c "status: completed" "$sweep2/index.yaml" | grep -qx 4 && ok "all 4 completed after resume" || bad "index: $(cat "$sweep2/index.yaml")"
[ "$(index_field "$sweep2" "train.steps=$long_steps" slurm_job_id)" = "${job2}_1" ] \
  && [ "$(index_field "$sweep2" "train.steps=6" slurm_job_id)" = "${job}_0" ] \
  && ok "index.yaml: the rerun job has the new Slurm id, the others keep theirs" || bad "ids: $(grep slurm_job_id "$sweep2/index.yaml")"
grep -q "attnlab train --resume" "$sweep2/slurm/${job2}_1.out" \
  && ok "the rerun continued from its checkpoint (train --resume)" || bad "task output: $(head -3 "$sweep2/slurm/${job2}_1.out")"
h5check "$long_dir/run.h5" --status completed --expect "train/step[-1]=$long_steps" > /dev/null \
  && ok "its run.h5: completed, trained to step $long_steps" || bad "run.h5: $(h5check "$long_dir/run.h5" --status completed --expect "train/step[-1]=$long_steps")"
[ "$(stat -c %Y "$sweep2/train.steps=6/run.h5")" = "$before" ] && ok "completed jobs untouched" || bad "train.steps=6 was rerun"

# submitted_job FILE: the array job id once `attnlab run` printed it (waits up to 30 s)
submitted_job() {
  local id=""
  for _ in $(seq 300); do
    id=$(sed -n 's/^submitted Slurm job \([0-9]*\):.*/\1/p' "$1" 2> /dev/null)
    [ -n "$id" ] && break
    sleep 0.1
  done
  echo "$id"
}
# wait_array_gone JOB: until no task of JOB is queued or running (up to 60 s)
wait_array_gone() {
  for _ in $(seq 300); do
    [ -z "$(squeue -h -j "$1" 2> /dev/null)" ] && return 0
    sleep 0.2
  done
  return 1
}

# --- 3. the submitting process dies (kill -9) while the array runs: resume recognises what completed
: > out3.txt
$attnlab run -m $fast train.steps=6 seed=1,2 out_dir=runs3 launcher=slurm launcher.poll_s=0.5 > out3.txt 2>&1 &
submitter_pid=$!
job=$(submitted_job out3.txt)
kill -9 "$submitter_pid"
wait "$submitter_pid" 2> /dev/null
submitter_pid=""
sweep3=$(ls -d runs3/default/*/ | head -1)
sweep3=${sweep3%/}
wait_array_gone "$job" && ok "array $job ran to its end without its submitter" || bad "array $job still queued: $(squeue)"
$attnlab run --resume "$sweep3" > resume3.txt 2>&1
code=$?
[ "$code" -eq 0 ] && ! grep -q "^submitted" resume3.txt && grep -c "status: completed" "$sweep3/index.yaml" | grep -qx 2 \
  && ok "resume after the submitter died: both jobs completed by array $job, nothing resubmitted" \
  || bad "resume after kill -9: exit $code: $(cat resume3.txt)"

# --- 4. Ctrl-C while waiting cancels the array and records it
: > out4.txt
$attnlab run -m $fast train.steps=1000000 seed=1,2 out_dir=runs4 launcher=slurm launcher.poll_s=0.5 > out4.txt 2>&1 &
submitter_pid=$!
job=$(submitted_job out4.txt)
for _ in $(seq 300); do
  [ "$(squeue -h -j "$job" -t RUNNING 2> /dev/null | wc -l)" -eq 2 ] && break
  sleep 0.2
done
kill -INT "$submitter_pid"
wait "$submitter_pid"
code=$?
submitter_pid=""
sweep4=$(ls -d runs4/default/*/ | head -1)
sweep4=${sweep4%/}
[ "$code" -eq 1 ] && grep -q "^interrupted: cancelling Slurm job $job" out4.txt \
  && [ "$(grep -c "error: \"Slurm job ${job}_[01] CANCELLED" "$sweep4/index.yaml")" -eq 2 ] \
  && ok "SIGINT: array $job cancelled, both jobs failed (CANCELLED)" || bad "SIGINT: exit $code: $(cat out4.txt)"
wait_array_gone "$job" || bad "array $job still there after SIGINT: $(squeue)"

# --- 5. errors: one line, exit 2, no sweep left behind
PATH=/nonexistent "$attnlab" run -m $fast seed=1,2 launcher=slurm out_dir=runs5 > /dev/null 2> err.txt
code=$?
[ "$code" -eq 2 ] && [ "$(grep -c '' err.txt)" -eq 1 ] && grep -qF "sbatch not found on PATH" err.txt \
  && ok "sbatch missing: $(cat err.txt)" || bad "sbatch missing: exit $code, stderr: $(cat err.txt)"
check_user_error "sbatch rejects the array" "sbatch rejected the job array" \
  run -m $fast seed=1,2 launcher=slurm launcher.partition=nosuch out_dir=runs5
check_user_error "launcher options cannot be swept" "cannot be swept" \
  run -m $fast seed=1,2 launcher=slurm launcher.time=1,2 out_dir=runs5
[ ! -e runs5 ] && ok "no sweep directory left by the errors" || bad "left behind: $(find runs5)"

# --- 6. one data-parallel run through srun (2 tasks on this node, ranks from Slurm): its curve is
# the local 2-rank run's, bit for bit (same ranks, same summation order)
dp="data.path=small.txt model.n_layers=2 model.d_model=32 model.n_heads=2 model.ctx=32 train.warmup_steps=2 \
eval.max_windows=4 eval.batch_size=4 threads=1 train.batch_size=16 train.log_every=1 train.steps=30 train.eval_every=15 \
distributed.nproc=2"
if "$attnlab" run $dp out_dir=runs6_local > out6_local.txt 2>&1 && grep -q "built without" out6_local.txt; then
  echo "skip case 6: built without c10d/Gloo"
else
  $attnlab run $dp launcher=slurm launcher.poll_s=0.5 out_dir=runs6 > out6.txt 2>&1
  code=$?
  run6=$(ls -d runs6/default/*/run 2> /dev/null)
  if [ "$code" -eq 0 ] && grep -q "^exec srun" runs6/default/*/slurm/task.sh; then
    if /usr/bin/python3 - "$run6/run.h5" "$(ls -d runs6_local/default/*/)run.h5" "$run6/log.txt" <<'PY'
import sys, h5py, numpy as np
a, b = h5py.File(sys.argv[1], "r"), h5py.File(sys.argv[2], "r")
same = all(np.array_equal(a[k][()], b[k][()]) for k in ("train/step", "train/loss", "train/grad_norm", "eval/loss"))
ranks = "ranks    2 (c10d" in open(sys.argv[3]).read()
print(f"status {a.attrs['status']}, {len(a['train/loss'])} /train rows, final loss {a['train/loss'][-1]:.6f}, equal to the local run: {same}")
sys.exit(0 if same and ranks and a.attrs["status"] == "completed" else 1)
PY
    then ok "srun, 2 tasks: the local 2-rank curve, bit for bit ($code)"; else bad "srun 2 tasks: curves differ or no ranks line: $(tail -3 out6.txt)"; fi
  else
    bad "srun 2 tasks: exit $code: $(tail -3 out6.txt); $(cat runs6/default/*/slurm/*.out 2> /dev/null | tail -5)"
  fi
fi

finish
