#pragma once
/// `knorm`: an eviction policy defined outside attnlab. It keeps the tokens whose keys have the
/// smallest L2 norm (Devoto et al. 2024, "A Simple and Effective L2 Norm-Based Strategy for KV
/// Cache Compression": low-norm keys draw high attention). Each head is scored separately, and the
/// `recent` most recent tokens are always kept. It needs no attention weights, so it also serves
/// mixers that return none.

#include <memory>

#include "config/map_reader.h"
#include "infer/eviction_policy.h"

namespace example {

class KNormPolicy : public attnlab::EvictionPolicy {
 public:
  explicit KNormPolicy(int64_t recent) : recent_(recent) {}

  int64_t protected_tokens(int64_t) const override { return recent_; }

  /// `recent` (>= 0, default 0).
  static std::shared_ptr<attnlab::EvictionPolicy> create(attnlab::cfg::MapReader& options);

 protected:
  /// -|k|_2 of every held key: [B, H, S].
  torch::Tensor score(const attnlab::LayerCache& cache, int64_t budget) override;
  torch::Tensor protected_slots(const attnlab::LayerCache& cache, int64_t budget) const override;

 private:
  int64_t recent_;
};

/// Adds `knorm` to attnlab's policy registry.
void register_knorm_policy();

}  // namespace example
