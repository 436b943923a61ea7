#include "train/train_meter.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "results/run_store.h"
#include "run/run_log.h"

namespace attnlab {

TrainMeter::TrainMeter(results::RunStore& store, RunLog& log, int64_t total_steps, int64_t tokens_per_step,
                       torch::Device device)
    : store_(store),
      log_(log),
      total_steps_(total_steps),
      tokens_per_step_(tokens_per_step),
      interval_loss_(torch::zeros({}, torch::kFloat64).to(device)) {}

void TrainMeter::add(const torch::Tensor& loss, const torch::Tensor& grad_norm, bool skipped) {
  interval_tokens_ += tokens_per_step_;
  if (skipped) return;
  interval_loss_ += loss.to(torch::kFloat64);
  ++interval_steps_;
  last_grad_norm_ = grad_norm;
}

void TrainMeter::write_row(int64_t step, int64_t tokens, double lr) {
  const double loss = interval_steps_ ? interval_loss_.item<double>() / static_cast<double>(interval_steps_) : std::nan("");
  const auto now = Clock::now();
  const double seconds = std::chrono::duration<double>(now - interval_start_).count();
  const double tokens_per_s = interval_tokens_ / std::max(seconds, 1e-9);
  const double wall = std::chrono::duration<double>(now - run_start_).count();
  const double grad_norm = last_grad_norm_.defined() ? last_grad_norm_.item<double>() : std::nan("");
  store_.append(results::kTrainTable, {step, tokens, loss, lr, grad_norm, tokens_per_s, wall});
  const double eta = (total_steps_ - step) * tokens_per_step_ / std::max(tokens_per_s, 1e-9);
  log_.progress(fmt::format("step {:>6}/{} | loss {:.4f} | lr {:.2e} | {:>7.0f} tok/s | ETA {}", step, total_steps_, loss,
                            lr, tokens_per_s, format_duration(eta)));
  interval_start_ = Clock::now();
  interval_tokens_ = 0;
  interval_steps_ = 0;
  interval_loss_.zero_();
}

}  // namespace attnlab
