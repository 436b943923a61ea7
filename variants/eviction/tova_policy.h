#pragma once
/// `tova` (Token Omission Via Attention, Oren et al. 2024): once the cache is over budget, drops
/// the tokens with the lowest attention weight from the last query — no recency window, no
/// history. `heads: mean` (the paper's choice, the default) averages the last query's weights over
/// the layer's heads, so all heads keep the same tokens; `heads: per_head` ranks each head by its
/// own weights.

#include <memory>

#include "infer/eviction_policy.h"

namespace attnlab {

class TovaPolicy : public EvictionPolicy {
 public:
  explicit TovaPolicy(bool per_head) : per_head_(per_head) {}

  bool needs_weights() const override { return true; }
  /// Reserves the per-token score (LayerCache::token_scores()).
  void prepare(LayerCache& cache) const override;
  /// token_scores = the weights of the call's last query (averaged over heads unless per_head).
  void observe(LayerCache& cache, const torch::Tensor& weights) override;

  /// Factory for the policy registry: `heads` (mean | per_head, default mean).
  static std::shared_ptr<EvictionPolicy> create(cfg::MapReader& options);

 protected:
  /// The last query's weights.
  torch::Tensor score(const LayerCache& cache, int64_t budget) override;

 private:
  bool per_head_;
};

}  // namespace attnlab
