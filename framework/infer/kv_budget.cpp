#include "infer/kv_budget.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "config/map_reader.h"
#include "core/error.h"

namespace attnlab {

const std::vector<std::string>& layer_allocation_names() {
  static const std::vector<std::string> names = {"uniform", "pyramid", "ascending"};
  return names;
}

KvBudget KvBudget::read(cfg::MapReader& options) {
  KvBudget b;
  b.tokens = options.integer("budget", b.tokens);
  b.ratio = options.number("ratio", b.ratio);
  const auto& names = layer_allocation_names();
  const std::string allocation = options.choice("layer_budget", names.front(), names);
  b.allocation = static_cast<LayerAllocation>(std::find(names.begin(), names.end(), allocation) - names.begin());
  auto require = [&](bool ok, const std::string& key, const std::string& what) {
    if (ok) return;
    const cfg::Node* value = options.node().find(key);
    cfg::fail_at(value ? value->source() : options.node().source(), options.key_path(key) + ": " + what);
  };
  require(b.tokens >= 0, "budget", "must be >= 0 tokens per head (0 = from ratio), got " + std::to_string(b.tokens));
  require(b.ratio >= 1.0 && std::isfinite(b.ratio), "ratio", "must be a compression ratio >= 1, got " + fmt::format("{}", b.ratio));
  return b;
}

int64_t KvBudget::nominal(int64_t context_len) const {
  if (tokens > 0) return tokens;
  return std::max<int64_t>(1, static_cast<int64_t>(std::ceil(static_cast<double>(context_len) / ratio - 1e-9)));
}

double KvBudget::effective_ratio(int64_t context_len) const {
  return tokens > 0 ? static_cast<double>(context_len) / static_cast<double>(tokens) : ratio;
}

std::vector<int64_t> KvBudget::per_layer(int64_t n_layers, int64_t context_len) const {
  const double base = static_cast<double>(nominal(context_len));
  std::vector<int64_t> budgets(n_layers);
  for (int64_t l = 0; l < n_layers; ++l) {
    const double depth = n_layers > 1 ? static_cast<double>(l) / static_cast<double>(n_layers - 1) : 0.5;
    double scale = 1.0;
    switch (allocation) {
      case LayerAllocation::Uniform: scale = 1.0; break;
      case LayerAllocation::Pyramid: scale = 1.5 - depth; break;
      case LayerAllocation::Ascending: scale = 0.5 + depth; break;
    }
    budgets[l] = std::max<int64_t>(1, std::llround(base * scale));
  }
  return budgets;
}

}  // namespace attnlab
