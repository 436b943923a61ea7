#pragma once
/// Helpers of the inference tests: caches with known positions, and test-only mixers.

#include <torch/torch.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "config/map_reader.h"
#include "infer/eviction_policy.h"
#include "infer/layer_cache.h"
#include "registry.h"

namespace attnlab::testing {

/// A cache of B x H heads holding positions 0 .. n-1, whose keys and values carry their position
/// in every feature (so a gather can be checked against positions()). `policy`, when given,
/// prepares the cache first (reserves its bookkeeping).
inline LayerCache positional_cache(int64_t n, int64_t B = 1, int64_t H = 1, int64_t capacity = 64, int64_t Dh = 2,
                                   const EvictionPolicy* policy = nullptr) {
  LayerCache cache(capacity);
  if (policy) policy->prepare(cache);
  auto pos = torch::arange(n, torch::kFloat32).view({1, 1, n, 1}).expand({B, H, n, Dh}).contiguous();  // [B, H, n, Dh]
  cache.append(pos, pos * 10.0, 0);
  return cache;
}

/// Every registered eviction policy built with its default options, by name (the contract tests
/// loop over these, so a new policy is covered without editing them). `evicting_only` skips the
/// policies that never drop a token (full).
inline std::vector<std::pair<std::string, std::shared_ptr<EvictionPolicy>>> registered_policies(bool evicting_only) {
  register_builtin_variants();
  std::vector<std::pair<std::string, std::shared_ptr<EvictionPolicy>>> out;
  for (const auto& name : policy_registry().names()) {
    cfg::Node options = cfg::Node::map();
    cfg::MapReader reader(options, "cache");
    auto policy = policy_registry().get(name)(reader);
    if (!evicting_only || policy->evicts()) out.emplace_back(name, std::move(policy));
  }
  return out;
}

/// The positions a cache holds for (batch row b, head h).
inline std::vector<int64_t> held(const LayerCache& cache, int64_t b = 0, int64_t h = 0) {
  auto row = cache.positions()[b][h].contiguous();
  return std::vector<int64_t>(row.data_ptr<int64_t>(), row.data_ptr<int64_t>() + row.numel());
}

/// Weights [1, H, T, S] from nested rows (H x T x S).
inline torch::Tensor weights(const std::vector<std::vector<std::vector<float>>>& heads) {
  std::vector<torch::Tensor> per_head;
  for (const auto& rows : heads) {
    std::vector<torch::Tensor> per_row;
    for (const auto& row : rows) per_row.push_back(torch::tensor(row, torch::kFloat32));
    per_head.push_back(torch::stack(per_row));
  }
  return torch::stack(per_head).unsqueeze(0);
}

}  // namespace attnlab::testing
