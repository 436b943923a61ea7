#include "train/step_profiler.h"

#include <fmt/format.h>

#include "run/run_log.h"

namespace attnlab {

StepProfiler::StepProfiler(int64_t steps, int64_t first_step, std::filesystem::path trace, RunLog& log)
    : from_(steps > 0 ? first_step + kWarmup : -1), to_(from_ + steps), trace_(std::move(trace)), log_(log) {}

void StepProfiler::before_step(int64_t step) {
  if (step == from_) profile_ = std::make_unique<torch::autograd::profiler::RecordProfile>(trace_.string());
}

void StepProfiler::after_step(int64_t step, int64_t last_step) {
  if (!profile_ || (step != to_ && step != last_step)) return;
  profile_.reset();  // writes the trace
  log_.line(fmt::format("profiled steps {}..{} into {}", from_ + 1, step, trace_.string()));
}

}  // namespace attnlab
