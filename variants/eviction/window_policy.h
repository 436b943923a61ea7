#pragma once
/// `window`: a sliding window, keeps the `budget` most recent tokens.

#include <memory>

#include "infer/eviction_policy.h"

namespace attnlab {

class WindowPolicy : public EvictionPolicy {
 public:
  /// Factory for the policy registry (no options).
  static std::shared_ptr<EvictionPolicy> create(cfg::MapReader& options);

 protected:
  /// The position: the most recent tokens score highest.
  torch::Tensor score(const LayerCache& cache, int64_t budget) override;
};

}  // namespace attnlab
