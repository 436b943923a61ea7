#pragma once
/// `h2o` (Heavy-Hitter Oracle, Zhang et al. 2023): keeps the heavy hitters — the tokens with the
/// largest attention accumulated over every query so far (each head separately) — plus a window
/// of the `recent` most recent tokens. With the paper's even split, recent = budget / 2.

#include <memory>

#include "infer/eviction_policy.h"

namespace attnlab {

class H2OPolicy : public EvictionPolicy {
 public:
  /// `recent` = 0: half the budget.
  explicit H2OPolicy(int64_t recent) : recent_(recent) {}

  bool needs_weights() const override { return true; }
  int64_t protected_tokens(int64_t budget) const override { return recent(budget); }
  /// Reserves the per-token score (LayerCache::token_scores()).
  void prepare(LayerCache& cache) const override;
  /// token_scores += the weights summed over the call's queries.
  void observe(LayerCache& cache, const torch::Tensor& weights) override;

  /// The recent window at `budget`.
  int64_t recent(int64_t budget) const { return recent_ > 0 ? recent_ : budget / 2; }

  /// Factory for the policy registry: `recent` (default 0 = budget / 2).
  static std::shared_ptr<EvictionPolicy> create(cfg::MapReader& options);

 protected:
  /// The accumulated attention (LayerCache::token_scores()).
  torch::Tensor score(const LayerCache& cache, int64_t budget) override;
  torch::Tensor protected_slots(const LayerCache& cache, int64_t budget) const override;

 private:
  int64_t recent_;
};

}  // namespace attnlab
