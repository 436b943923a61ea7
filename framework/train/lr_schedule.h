#pragma once
#include <cstdint>

namespace attnlab {

/// Linear warm-up from 0 to `peak` over `warmup` steps, then cosine decay to `floor` at `total`.
/// step is 0-based: lr_at(0) = peak / warmup (never exactly 0).
struct LrSchedule {
  double peak = 1e-3;
  double floor = 1e-4;
  int64_t warmup = 100;
  int64_t total = 1000;

  double at(int64_t step) const;
};

}  // namespace attnlab
