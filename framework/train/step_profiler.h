#pragma once
/// train.profile_steps: LibTorch's profiler over a window of training steps, after a warm-up.

#include <torch/csrc/autograd/profiler_legacy.h>

#include <cstdint>
#include <filesystem>
#include <memory>

namespace attnlab {

class RunLog;

class StepProfiler {
 public:
  /// Steps before the profiled ones (the allocator and the thread pool warm up).
  static constexpr int64_t kWarmup = 5;

  /// Records `steps` steps (0: none) from kWarmup steps after `first_step` into `trace`.
  StepProfiler(int64_t steps, int64_t first_step, std::filesystem::path trace, RunLog& log);

  /// Call before training step `step` + 1 (`step` done so far): starts recording at the window.
  void before_step(int64_t step);
  /// Call after it: writes the trace at the window's end or at `last_step`, whichever comes first.
  void after_step(int64_t step, int64_t last_step);

 private:
  int64_t from_, to_;
  std::filesystem::path trace_;
  RunLog& log_;
  std::unique_ptr<torch::autograd::profiler::RecordProfile> profile_;
};

}  // namespace attnlab
