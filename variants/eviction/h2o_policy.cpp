#include "eviction/h2o_policy.h"

#include "eviction/policy_options.h"
#include "infer/layer_cache.h"

namespace attnlab {

std::shared_ptr<EvictionPolicy> H2OPolicy::create(cfg::MapReader& options) {
  return std::make_shared<H2OPolicy>(read_count(options, "recent", 0, 0));
}

void H2OPolicy::prepare(LayerCache& cache) const { cache.reserve_token_scores(); }

void H2OPolicy::observe(LayerCache& cache, const torch::Tensor& weights) {
  cache.token_scores().add_(weights.sum(2).to(torch::kFloat32));  // [B, H, S]
}

torch::Tensor H2OPolicy::score(const LayerCache& cache, int64_t) { return cache.token_scores(); }

torch::Tensor H2OPolicy::protected_slots(const LayerCache& cache, int64_t budget) const {
  return recent_slots(cache, recent(budget));
}

}  // namespace attnlab
