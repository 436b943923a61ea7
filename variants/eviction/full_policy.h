#pragma once
/// `full`: keeps every token (the budget is the whole context). The reference: decoding with it
/// equals the uncached forward pass.

#include <memory>

#include "infer/eviction_policy.h"

namespace attnlab {

class FullPolicy : public EvictionPolicy {
 public:
  bool evicts() const override { return false; }

  /// Factory for the policy registry (no options).
  static std::shared_ptr<EvictionPolicy> create(cfg::MapReader& options);

 protected:
  torch::Tensor score(const LayerCache& cache, int64_t budget) override;
};

}  // namespace attnlab
