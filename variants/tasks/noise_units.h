#pragma once
/// MAD's noise units, shared by the recall and memorization generators: a context unit (two
/// positions) becomes two noise tokens with probability frac_noise, except the one unit `kept`.

#include <cstdint>
#include <vector>

#include "data/task_rng.h"

namespace attnlab {

/// Fills the unit at `pos` with two tokens of [first_noise, first_noise + noise_vocab) and returns
/// true when unit `unit` is noise; draws nothing when frac_noise is 0 (examples stay as without noise).
inline bool fill_noise_unit(data::TaskRng& rng, double frac_noise, int64_t unit, int64_t kept, int64_t first_noise,
                            int64_t noise_vocab, std::vector<int32_t>& inputs, size_t pos) {
  if (!(frac_noise > 0) || unit == kept || !(rng.uniform() < frac_noise)) return false;
  inputs[pos] = static_cast<int32_t>(first_noise + rng.below(noise_vocab));
  inputs[pos + 1] = static_cast<int32_t>(first_noise + rng.below(noise_vocab));
  return true;
}

}  // namespace attnlab
