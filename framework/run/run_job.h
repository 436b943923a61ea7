#pragma once
/// One training run in its directory: config.yaml, overrides.yaml, log.txt, run.h5, checkpoint.pt.

#include <filesystem>
#include <string>
#include <vector>

#include "run/run_config.h"
#include "train/evaluator.h"

namespace attnlab {

/// A validated run: the typed config plus the texts recorded with it.
struct RunPlan {
  RunConfig config;
  std::string config_yaml;             ///< fully resolved config
  std::vector<std::string> overrides;  ///< command-line / sweep overrides that produced it
};

/// Trains and evaluates one run in `run_dir`. Data, tokenizer and model are prepared before the
/// directory is created, so bad input leaves nothing behind. Once the run exists its run.h5 is
/// marked completed, or failed with the error (which is then rethrown).
EvalResult execute_run(const RunPlan& plan, const std::filesystem::path& run_dir, const std::string& console_prefix = "");

/// Continues the run in `run_dir` from its checkpoint (config read from run_dir/config.yaml).
EvalResult resume_run(const std::filesystem::path& run_dir, const std::string& console_prefix = "");

/// `attnlab plan`: prepares the run's data and model (nothing is written) and returns the
/// estimate of run/plan.h at `peak_flops` FLOP/s (0: the sgemm rate measured here now) for
/// `total_tokens` (-1: train.steps). `vocab_size` > 0 sizes the model for that vocabulary
/// instead of reading the data (a paper's tokenizer).
std::string plan_run(const RunConfig& config, double peak_flops, int64_t total_tokens, int64_t vocab_size = 0);

/// Gives the process `threads` cores (0 = all, or $ATTNLAB_THREADS from a parallel sweep): OpenBLAS
/// threads = cores, LibTorch intra-op threads = 1 (measured best on 2 cores; $ATTNLAB_BLAS_THREADS
/// and $ATTNLAB_INTRA_THREADS override). Returns "intra=N inter=M blas=K".
std::string configure_threads(int64_t threads);

/// Resolves `device: auto|cpu|cuda` (auto: cuda when available); UserError if cuda is asked for and absent.
std::string resolve_device(const std::string& device);

}  // namespace attnlab
