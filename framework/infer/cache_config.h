#pragma once
/// The `cache:` config group (configs/cache/<policy>.yaml): which eviction policy, its options,
/// and the budget. Used by `attnlab eval` and `attnlab generate`.
///
///   cache:
///     name: scissorhands   # a registered eviction policy (attnlab list shows them)
///     budget: 0            # tokens per head; 0 = from ratio
///     ratio: 1             # compression ratio >= 1: budget = ceil(context_len / ratio)
///     layer_budget: uniform  # uniform | pyramid | ascending
///     ...                  # the policy's own keys (window, recent, drop, n_sink, heads, seed)

#include <memory>
#include <string>

#include "config/node.h"
#include "infer/eviction_policy.h"
#include "infer/kv_budget.h"

namespace attnlab {

struct CacheConfig {
  std::string policy_name = "full";         ///< `name`
  KvBudget budget;                          ///< `budget`, `ratio`, `layer_budget`
  std::shared_ptr<EvictionPolicy> policy;   ///< built by the policy's registered factory

  /// Strict read of a `cache` map (a bare scalar is taken as the policy name). UserError for an
  /// unknown policy (with the closest registered name), unknown keys and bad values.
  static CacheConfig from_config(const cfg::Node& node, const std::string& path = "cache");

  /// Per-layer budgets for sequences of `context_len` tokens, checked against the policy's
  /// protected tokens (UserError "cache.budget (layer 1) = 8 tokens per head must exceed ...").
  std::vector<int64_t> layer_budgets(int64_t n_layers, int64_t context_len) const;
};

}  // namespace attnlab
