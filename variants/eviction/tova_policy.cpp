#include "eviction/tova_policy.h"

#include "config/map_reader.h"
#include "infer/layer_cache.h"

namespace attnlab {

std::shared_ptr<EvictionPolicy> TovaPolicy::create(cfg::MapReader& options) {
  return std::make_shared<TovaPolicy>(options.choice("heads", "mean", {"mean", "per_head"}) == "per_head");
}

void TovaPolicy::prepare(LayerCache& cache) const { cache.reserve_token_scores(); }

void TovaPolicy::observe(LayerCache& cache, const torch::Tensor& weights) {
  auto last = weights.select(2, weights.size(2) - 1);      // [B, H, S]
  if (!per_head_) last = last.mean(1, true).expand_as(last);  // every head holds the same tokens
  cache.token_scores().copy_(last);
}

torch::Tensor TovaPolicy::score(const LayerCache& cache, int64_t) { return cache.token_scores(); }

}  // namespace attnlab
