#include "eviction/random_policy.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include "eviction/policy_options.h"
#include "infer/layer_cache.h"

namespace attnlab {

RandomPolicy::RandomPolicy(uint64_t seed) : seed_(seed), generator_(at::detail::createCPUGenerator(seed)) {}

void RandomPolicy::reset() {
  std::lock_guard<std::mutex> lock(generator_.mutex());
  generator_.set_current_seed(seed_);
}

std::shared_ptr<EvictionPolicy> RandomPolicy::create(cfg::MapReader& options) {
  return std::make_shared<RandomPolicy>(static_cast<uint64_t>(read_count(options, "seed", 0, 0)));
}

torch::Tensor RandomPolicy::score(const LayerCache& cache, int64_t) {
  auto positions = cache.positions();  // [B, H, S]
  auto draws = torch::rand(positions.sizes(), generator_, torch::TensorOptions().dtype(torch::kFloat64));
  return draws.to(positions.device());
}

}  // namespace attnlab
