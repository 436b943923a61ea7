#pragma once
/// The α schedule of Dynamic Context Pruning: α rises from `start` (1: the smooth sigmoid) to
/// `end` (8: nearly a hard step) along a half cosine while the pruning is fine-tuned.
#include <cstdint>

namespace attnlab {

/// α(step) = end + (start - end)·(1 + cos(π·min(step, steps)/steps))/2 for 0-based steps:
/// α(0) = start, α(steps) = end, constant after; monotone between. steps ≤ 0 gives `end` always.
/// The defaults are the reference code's (1 → 8 over 25k steps).
struct AlphaSchedule {
  double start = 1.0;    ///< α at step 0 (≥ 1)
  double end = 8.0;      ///< α from `steps` on (≥ 1)
  int64_t steps = 25000; ///< length of the cosine ramp

  double at(int64_t step) const;
};

}  // namespace attnlab
