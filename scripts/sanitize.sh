#!/usr/bin/env bash
# Builds attnlab and its tests with AddressSanitizer + UndefinedBehaviorSanitizer in build-asan/
# and runs the whole CTest suite (Catch2 binaries and the CLI scripts) under them. See
# docs/sanitizers.md. Assumes scripts/setup.sh already ran (packages, corpora under data/).
# Extra arguments go to ctest (e.g. -R cli). Environment knobs:
#   ATTNLAB_ASAN_BUILD_DIR (default build-asan), ATTNLAB_SANITIZE (default address,undefined),
#   ATTNLAB_JOBS (build jobs, default: cores), ATTNLAB_TEST_JOBS (ctest -j, default 2: every
#   test process carries ASan's shadow memory and quarantine), ATTNLAB_SKIP_BUILD=1,
#   ASAN_OPTIONS / LSAN_OPTIONS / UBSAN_OPTIONS (appended to the defaults below, so they win).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

build_dir=${ATTNLAB_ASAN_BUILD_DIR:-build-asan}
sanitize=${ATTNLAB_SANITIZE:-address,undefined}
jobs=${ATTNLAB_JOBS:-$(nproc)}
test_jobs=${ATTNLAB_TEST_JOBS:-2}

log() { printf '[sanitize] %s\n' "$*"; }

if [ ! -f data/moby_dick/moby_dick.txt ]; then
  echo "sanitize: data/ has no corpora: run scripts/setup.sh first" >&2
  exit 2
fi

if [ "${ATTNLAB_SKIP_BUILD:-0}" != 1 ]; then
  start=$SECONDS
  # -O1 -g1: ASan's usual optimisation level, with the line tables its stack traces need.
  # No -DNDEBUG: asserts stay on. CMake option ATTNLAB_SANITIZE: top-level CMakeLists.txt.
  log "configuring $build_dir (ATTNLAB_SANITIZE=$sanitize, -O1 -g1)"
  cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1" -DATTNLAB_SANITIZE="$sanitize" >/dev/null
  log "building with $jobs jobs"
  cmake --build "$build_dir" -j "$jobs"
  log "built in $((SECONDS - start)) s"
fi

supp=$root/scripts/sanitize
# detect_leaks: LeakSanitizer at exit; leaks inside uninstrumented third-party libraries are
#   suppressed by name in lsan.supp (each entry says why).
# check_initialization_order / strict_init_order: static-initialisation-order bugs.
# detect_stack_use_after_return: use of a dead stack frame (a reference to a returned local).
# halt_on_error / abort_on_error=0: stop at the first report with a non-zero exit code.
export ASAN_OPTIONS="detect_leaks=1:check_initialization_order=1:strict_init_order=1:detect_stack_use_after_return=1:halt_on_error=1:abort_on_error=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export LSAN_OPTIONS="suppressions=$supp/lsan.supp:print_suppressions=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:suppressions=$supp/ubsan.supp${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"

start=$SECONDS
log "ctest -j $test_jobs (ASAN_OPTIONS=$ASAN_OPTIONS)"
status=0
ctest --test-dir "$build_dir" --output-on-failure -j "$test_jobs" "$@" || status=$?
log "tests ran in $((SECONDS - start)) s"
exit "$status"
