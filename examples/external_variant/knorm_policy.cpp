#include "knorm_policy.h"

#include "infer/layer_cache.h"

namespace example {

std::shared_ptr<attnlab::EvictionPolicy> KNormPolicy::create(attnlab::cfg::MapReader& options) {
  const int64_t recent = options.integer("recent", 0);
  if (recent < 0) attnlab::cfg::fail_at(options.node().find("recent")->source(), options.key_path("recent") + ": must be >= 0");
  return std::make_shared<KNormPolicy>(recent);
}

torch::Tensor KNormPolicy::score(const attnlab::LayerCache& cache, int64_t) {
  return cache.keys().norm(2, -1).neg();  // [B, H, S]: the smaller the norm, the higher the score
}

torch::Tensor KNormPolicy::protected_slots(const attnlab::LayerCache& cache, int64_t) const {
  return recent_ > 0 ? attnlab::recent_slots(cache, recent_) : torch::Tensor();
}

void register_knorm_policy() {
  attnlab::policy_registry().add("knorm", "keys with the smallest L2 norm + a recent window (an external policy)",
                                 KNormPolicy::create);
}

}  // namespace example
