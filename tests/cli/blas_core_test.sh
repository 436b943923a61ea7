#!/usr/bin/env bash
# The OpenBLAS core (core/blas_core.h): with OPENBLAS_CORETYPE=Prescott standing in for OpenBLAS's
# own fallback (ATTNLAB_BLAS_SIMULATE_FALLBACK=1), attnlab re-executes itself with the best core
# the CPU's flags allow, trains the same numbers, and says so in the log and run.h5; a user's own
# OPENBLAS_CORETYPE is left alone; a sweep's children inherit the choice.
set -u
source "$(dirname "$0")/common.sh" "$1" "$2"
core=$(/usr/bin/python3 -c "
import ctypes
l = ctypes.CDLL('libblas.so.3')
f = getattr(l, 'openblas_get_corename', None)
print('' if f is None else 'openblas')" 2>/dev/null)
flags=$(grep -m1 '^flags' /proc/cpuinfo)
if [ "$core" != openblas ] || ! grep -qw avx <<< "$flags"; then
  echo "skipped: the BLAS is not OpenBLAS or the CPU has no AVX (nothing better than Prescott)"; exit 77
fi
blas_line() { grep '^blas ' "$1/log.txt"; }
$attnlab run $fast train.steps=6 train.eval_every=6 out_dir=plain > out.txt 2>&1 || { bad "plain run: $(tail -2 out.txt)"; finish; exit 1; }
OPENBLAS_CORETYPE=Prescott $attnlab run $fast train.steps=6 train.eval_every=6 out_dir=user > out.txt 2>&1 || { bad "user run"; finish; exit 1; }
OPENBLAS_CORETYPE=Prescott ATTNLAB_BLAS_SIMULATE_FALLBACK=1 $attnlab run $fast train.steps=6 train.eval_every=6 out_dir=fallback > out.txt 2>&1 || { bad "fallback run"; finish; exit 1; }
plain=$(ls -d plain/default/*/); user=$(ls -d user/default/*/); fallback=$(ls -d fallback/default/*/)
grep -q "Prescott (OPENBLAS_CORETYPE)" <<< "$(blas_line "$user")" && ok "the user's OPENBLAS_CORETYPE is kept" || bad "user: $(blas_line "$user")"
grep -q "(attnlab; OpenBLAS fell back to Prescott)" <<< "$(blas_line "$fallback")" && ! grep -q "^blas     Prescott" "$fallback/log.txt" \
  && ok "a fallback is replaced: $(blas_line "$fallback")" || bad "fallback: $(blas_line "$fallback")"
for run in "$plain" "$fallback"; do
  h5check "$run/run.h5" --status completed > /dev/null || bad "h5 schema of $run"
done
/usr/bin/python3 - "$plain" "$fallback" "$user" <<'PY' && ok "the same losses with every core; blas_core and gemm_gflops in run.h5" || bad "run.h5 blas attributes or losses"
import sys, h5py, numpy as np
files = [h5py.File(d + "/run.h5", "r") for d in sys.argv[1:]]
losses = [f["train"]["loss"][:] for f in files]
assert all(np.allclose(losses[0], l, rtol=1e-4) for l in losses), losses
assert "attnlab; OpenBLAS fell back to Prescott" in files[1].attrs["blas_core"], files[1].attrs["blas_core"]
assert all(f.attrs["gemm_gflops"] > 0 for f in files)
PY
# a sweep's children inherit the choice (they do not decide again)
OPENBLAS_CORETYPE=Prescott ATTNLAB_BLAS_SIMULATE_FALLBACK=1 $attnlab run -m $fast train.steps=2 train.eval_every=2 seed=1,2 out_dir=sweep > out.txt 2>&1 || bad "sweep: $(tail -2 out.txt)"
n=$(grep -l "(attnlab; OpenBLAS fell back to Prescott)" sweep/default/*/*/log.txt 2>/dev/null | wc -l)
[ "$n" -eq 2 ] && ok "both sweep jobs run on the chosen core" || bad "sweep logs with the chosen core: $n"
finish
