#include "infer/cache_config.h"

#include <fmt/format.h>

#include "config/map_reader.h"

namespace attnlab {

CacheConfig CacheConfig::from_config(const cfg::Node& node, const std::string& path) {
  if (node.is_scalar()) {  // `cache: h2o`
    cfg::Node spec = cfg::Node::map(node.source());
    spec["name"] = node;
    return from_config(spec, path);
  }
  CacheConfig c;
  cfg::MapReader r(node, path);
  c.policy_name = r.string("name", c.policy_name);
  const PolicyFactory& factory = policy_registry().get(c.policy_name);
  c.budget = KvBudget::read(r);
  c.policy = factory(r);
  r.finish();
  return c;
}

std::vector<int64_t> CacheConfig::layer_budgets(int64_t n_layers, int64_t context_len) const {
  std::vector<int64_t> budgets = budget.per_layer(n_layers, context_len);
  if (!policy->evicts()) return std::vector<int64_t>(n_layers, context_len);
  std::string where = "cache.budget";
  if (budget.tokens == 0) where += fmt::format(" (from cache.ratio {} at context {})", budget.ratio, context_len);
  for (int64_t l = 0; l < n_layers; ++l) {
    const bool per_layer = n_layers > 1 && budget.allocation != LayerAllocation::Uniform;
    policy->check_budget(budgets[l], per_layer ? where + " of layer " + std::to_string(l) : where);
  }
  return budgets;
}

}  // namespace attnlab
