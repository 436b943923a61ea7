// attnlab_bench: benchmarks of trained runs (see bench/README.md).
#include <CLI/CLI.hpp>
#include <c10/util/Exception.h>

#include <iostream>

#include "core/blas_core.h"
#include "core/error.h"
#include "decode_bench.h"
#include "taskdata_bench.h"
#include "registry.h"

int main(int argc, char** argv) {
  attnlab::blas::ensure_fast_kernels(argv);  // the right OpenBLAS kernels, as attnlab does
  attnlab::register_builtin_variants();
  CLI::App app{"attnlab_bench: throughput and memory benchmarks of trained runs"};
  app.require_subcommand(1);
  attnlab::bench::DecodeBenchOptions decode;
  auto* cmd = app.add_subcommand("decode", "Decode tokens/s, ms/step, eviction time and KV memory per setting");
  cmd->add_option("runs", decode.runs, "trained run directories")->required()->expected(-1);
  cmd->add_option("--batch", decode.batches, "batch sizes")->delimiter(',')->capture_default_str();
  cmd->add_option("--contexts", decode.contexts, "total tokens per sequence (prompt + decoded)")
      ->delimiter(',')
      ->capture_default_str();
  cmd->add_option("--policies", decode.policies, "eviction policies (full = no eviction)")
      ->delimiter(',')
      ->capture_default_str();
  cmd->add_option("--ratio", decode.ratio, "compression ratio of the evicting policies")->capture_default_str();
  cmd->add_option("--prompt", decode.prompt, "prefill tokens")->capture_default_str();
  cmd->add_option("--rounds", decode.rounds, "interleaved repetitions (medians reported)")->capture_default_str();
  cmd->add_option("--profile", decode.profile, "write a LibTorch profiler trace of the rounds (bench/profile_summary.py)");
  cmd->add_flag("--jsonl", decode.jsonl, "one JSON object per setting instead of a Markdown table");
  cmd->add_option("--threads", decode.threads, "cores (0 = all; OpenBLAS gets them, the intra-op pool 1)")->capture_default_str();
  cmd->footer("Example:\n  attnlab_bench decode runs/scissorhands_base/default/<ts> --batch 1,8 --contexts 256 "
              "--policies full,scissorhands --ratio 5");
  attnlab::bench::TaskDataBenchOptions taskdata;
  auto* tasks = app.add_subcommand("taskdata", "Probe-task data generation vs one training step of the probe model");
  tasks->add_option("tasks", taskdata.tasks, "data presets (default: every task preset in configs/data)");
  tasks->add_option("--model", taskdata.model, "model preset of the training step")->capture_default_str();
  tasks->add_option("--batch", taskdata.batch, "examples per batch")->capture_default_str();
  tasks->add_option("--rounds", taskdata.rounds, "interleaved repetitions (medians reported)")->capture_default_str();
  tasks->add_option("--reps", taskdata.reps, "batches and steps per round")->capture_default_str();
  tasks->add_option("--threads", taskdata.threads, "cores (0 = all)")->capture_default_str();
  int code = 0;
  try {
    app.parse(argc, argv);
    if (*cmd) attnlab::bench::run_decode_bench(decode, std::cout);
    if (*tasks) attnlab::bench::run_taskdata_bench(taskdata, std::cout);
  } catch (const CLI::ParseError& e) {
    code = app.exit(e);
    return code == 0 ? 0 : attnlab::kUserErrorExitCode;
  } catch (const attnlab::UserError& e) {
    std::cerr << "error: " << e.what() << std::endl;
    return attnlab::kUserErrorExitCode;
  } catch (const c10::Error& e) {
    std::cerr << "error: " << e.what_without_backtrace() << std::endl;
    return 1;
  }
  return code;
}
