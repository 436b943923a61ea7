#pragma once
/// What a probe task's data costs next to a training step (issue 19 item 6): for each task preset
/// (configs/data/<task>.yaml), the one-off generation of its sets, a batch from the cycled
/// training set, a batch of freshly generated examples (train_examples: 0), and one training step
/// of the probe model on such a batch, interleaved over rounds in one process (medians).

#include <iosfwd>
#include <string>
#include <vector>

namespace attnlab::bench {

struct TaskDataBenchOptions {
  std::vector<std::string> tasks;       ///< data presets; empty = every preset of configs/data with a task
  std::string config_dir = "configs";
  std::string model = "probe";           ///< model preset of the training step
  int64_t batch = 64;                    ///< examples per batch (the probe study's train.batch_size)
  int64_t rounds = 5;                    ///< interleaved repetitions (medians reported)
  int64_t reps = 10;                     ///< batches (and steps) per round
  int64_t threads = 0;                   ///< cores (0 = all): configure_threads() in run/run_job.h
};

/// Prints a Markdown table to `out`.
void run_taskdata_bench(const TaskDataBenchOptions& options, std::ostream& out);

}  // namespace attnlab::bench
