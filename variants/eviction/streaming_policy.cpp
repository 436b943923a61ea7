#include "eviction/streaming_policy.h"

#include "eviction/policy_options.h"
#include "infer/layer_cache.h"

namespace attnlab {

std::shared_ptr<EvictionPolicy> StreamingPolicy::create(cfg::MapReader& options) {
  return std::make_shared<StreamingPolicy>(read_count(options, "n_sink", 4, 0));
}

torch::Tensor StreamingPolicy::score(const LayerCache& cache, int64_t) { return cache.positions(); }

torch::Tensor StreamingPolicy::protected_slots(const LayerCache& cache, int64_t) const {
  return sink_slots(cache, n_sink_);
}

}  // namespace attnlab
