#!/usr/bin/env bash
# Builds the config fuzzers (clang + libFuzzer + ASan + UBSan) and runs each one for a while over
# its committed corpus. Exit 0: no finding; 1: a crash, sanitizer report, failed check, timeout
# or build error; 77: clang/libFuzzer not installed (CTest SKIP_RETURN_CODE).
#
#   fuzz/run.sh [SECONDS_PER_TARGET] [--update-corpus] [TARGET...]
#     SECONDS_PER_TARGET  default 60
#     --update-corpus     merge the inputs that reach new edges into fuzz/corpus/<target> (-merge=1);
#                         without it new inputs go to a scratch folder that is deleted
#     TARGET              override, compose, interpolation (default: all three, one after another)
#   Environment: FUZZ_CXX (clang++-14), FUZZ_BUILD_DIR (<repo>/build-fuzz), FUZZ_JOBS (build -j, 1),
#                FUZZ_TIMEOUT (seconds one input may take, 1), FUZZ_LOG_DIR (<build>/logs).
# Crash reproducers land in <build>/artifacts/<target>/; replay one with
#   build-fuzz/<target>_fuzzer <file>
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
seconds=60
update=0
targets=()
for arg in "$@"; do
  case "$arg" in
    --update-corpus) update=1 ;;
    ''|*[!0-9]*) targets+=("$arg") ;;
    *) seconds=$arg ;;
  esac
done
[ ${#targets[@]} -gt 0 ] || targets=(override compose interpolation)

cxx=${FUZZ_CXX:-clang++-14}
build=${FUZZ_BUILD_DIR:-$root/build-fuzz}
jobs=${FUZZ_JOBS:-1}
timeout=${FUZZ_TIMEOUT:-1}
logs=${FUZZ_LOG_DIR:-$build/logs}

log() { printf '[fuzz] %s\n' "$*"; }

if ! command -v "$cxx" >/dev/null 2>&1; then
  log "SKIP: $cxx not found (Debian: apt-get install clang-14 libclang-rt-14-dev)"
  exit 77
fi
probe=$(mktemp -d "${TMPDIR:-/tmp}/attnlab-fuzz-probe.XXXXXX")
echo 'extern "C" int LLVMFuzzerTestOneInput(const unsigned char*, unsigned long) { return 0; }' >"$probe/p.cpp"
if ! "$cxx" -fsanitize=fuzzer,address,undefined "$probe/p.cpp" -o "$probe/p" >"$probe/log" 2>&1; then
  log "SKIP: $cxx cannot link libFuzzer (Debian: apt-get install libclang-rt-14-dev):"
  sed 's/^/  /' "$probe/log" | head -5
  rm -rf "$probe"
  exit 77
fi
rm -rf "$probe"

generator=()
command -v ninja >/dev/null 2>&1 && generator=(-G Ninja)
if [ ! -f "$build/CMakeCache.txt" ]; then
  cmake -S "$root/fuzz" -B "$build" "${generator[@]}" -DCMAKE_CXX_COMPILER="$cxx" >/dev/null || {
    log "FAIL: cmake configure"; exit 1; }
fi
cmake --build "$build" -j "$jobs" >"$build/build.log" 2>&1 || {
  tail -30 "$build/build.log"; log "FAIL: build (log: $build/build.log)"; exit 1; }

scratch=$(mktemp -d "${TMPDIR:-/tmp}/attnlab-fuzz.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$logs"
failed=0
for target in "${targets[@]}"; do
  binary=$build/${target}_fuzzer
  corpus=$root/fuzz/corpus/$target
  if [ ! -x "$binary" ] || [ ! -d "$corpus" ]; then
    log "FAIL: unknown target '$target'"; failed=1; continue
  fi
  dict=()
  [ -f "$root/fuzz/$target.dict" ] && dict=(-dict="$root/fuzz/$target.dict")
  artifacts=$build/artifacts/$target
  mkdir -p "$scratch/$target" "$artifacts"
  target_log=$logs/$target.log
  log "$target: ${seconds}s over $(ls "$corpus" | wc -l) corpus files (log: $target_log)"
  # New inputs go to the first folder (scratch); the committed corpus is only read.
  "$binary" "${dict[@]}" -max_total_time="$seconds" -timeout="$timeout" -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$artifacts/" "$scratch/$target" "$corpus" >"$target_log" 2>&1
  rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$target_log")
  speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$target_log")
  last=$(grep -E '^#[0-9]+' "$target_log" | tail -1 | grep -oE 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+/[0-9a-zA-Z]+')
  if [ "$rc" -ne 0 ]; then
    failed=1
    grep -E 'ERROR|FUZZ CHECK FAILED|SUMMARY|Test unit written|ALARM|detail|input' "$target_log" | head -20 | sed 's/^/  /'
    log "$target: FAILED (exit $rc) after ${execs:-?} runs; reproducer in $artifacts/"
    continue
  fi
  log "$target: ok, ${execs:-?} runs, ${speed:-?} exec/s, $last"
  if [ "$update" -eq 1 ]; then
    # Keeps the inputs that reach new edges: hit-count features (the default) would keep about
    # four times as many files for the same edge coverage.
    "$binary" -merge=1 -use_counters=0 -timeout="$timeout" "$corpus" "$scratch/$target" >>"$target_log" 2>&1 ||
      { log "$target: merge failed"; failed=1; }
    log "$target: corpus now $(ls "$corpus" | wc -l) files, $(du -sh --apparent-size "$corpus" | cut -f1)"
  fi
done
exit "$failed"
