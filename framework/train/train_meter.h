#pragma once
/// The /train rows and the progress line of a training run: the loss, tokens and time of each
/// logging interval, summed on the device so that only a logged step syncs with the host.

#include <torch/types.h>

#include <chrono>
#include <cstdint>

namespace attnlab {

namespace results {
class RunStore;
}
class RunLog;

class TrainMeter {
 public:
  /// `total_steps` for the ETA; every step trains on `tokens_per_step` tokens.
  TrainMeter(results::RunStore& store, RunLog& log, int64_t total_steps, int64_t tokens_per_step, torch::Device device);

  /// Counts one optimizer step: its loss [] and grad norm [] unless it was skipped (non-finite).
  void add(const torch::Tensor& loss, const torch::Tensor& grad_norm, bool skipped);
  /// Writes the interval's /train row (step, tokens, mean loss, lr, last grad norm, tokens/s, wall s)
  /// and the progress line, then starts a new interval. The loss is NaN when every step was skipped.
  void write_row(int64_t step, int64_t tokens, double lr);
  /// Restarts the interval's clock (after an evaluation: its time is not training throughput).
  void restart_clock() { interval_start_ = Clock::now(); }

 private:
  using Clock = std::chrono::steady_clock;
  results::RunStore& store_;
  RunLog& log_;
  int64_t total_steps_;
  int64_t tokens_per_step_;
  Clock::time_point run_start_ = Clock::now();
  Clock::time_point interval_start_ = run_start_;
  int64_t interval_tokens_ = 0;
  int64_t interval_steps_ = 0;     // steps not skipped
  torch::Tensor interval_loss_;    // [] float64 on the device
  torch::Tensor last_grad_norm_;   // [] of the latest step not skipped
};

}  // namespace attnlab
