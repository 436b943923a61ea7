#pragma once
/// `scissorhands` (Liu et al. 2023, PAPERS.md §2): a token is pivotal at a decoding step when its
/// attention weight exceeds 1/t, t being the number of tokens that step's query attends. Each
/// token counts the steps, among the last `window` (w), in which it was pivotal. When a head's
/// cache grows past its budget B, the `drop` (m) tokens with the lowest counts are dropped at
/// once — never one of the `recent` (r) most recent tokens — so the cache then fills again for m
/// steps. Paper settings: w = 400, r = 10, m = B / 2 (clamped to [1, B - r] so that the recent
/// window survives a compression). Counts are per head; ties drop the older token.

#include <memory>

#include "infer/eviction_policy.h"

namespace attnlab {

class ScissorhandsPolicy : public EvictionPolicy {
 public:
  /// `drop` = 0: half the budget.
  ScissorhandsPolicy(int64_t window, int64_t recent, int64_t drop) : window_(window), recent_(recent), drop_(drop) {}

  bool needs_weights() const override { return true; }
  int64_t protected_tokens(int64_t /*budget*/) const override { return recent_; }
  /// Reserves the w-step pivotal history (LayerCache::token_history()).
  void prepare(LayerCache& cache) const override;
  /// Writes, for each of the call's queries (the last w of them), which held tokens were pivotal
  /// into the history column of that step (its position mod w).
  void observe(LayerCache& cache, const torch::Tensor& weights) override;
  /// min(size - m, budget): drop m tokens, and never keep more than the budget.
  int64_t target_size(int64_t size, int64_t budget) const override;

  /// m at `budget`.
  int64_t drop(int64_t budget) const;

  /// Factory for the policy registry: `window` (400), `recent` (10), `drop` (0 = budget / 2).
  static std::shared_ptr<EvictionPolicy> create(cfg::MapReader& options);

 protected:
  /// Steps among the last w in which the token was pivotal.
  torch::Tensor score(const LayerCache& cache, int64_t budget) override;
  torch::Tensor protected_slots(const LayerCache& cache, int64_t budget) const override;

 private:
  int64_t window_;
  int64_t recent_;
  int64_t drop_;
};

}  // namespace attnlab
