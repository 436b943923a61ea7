#include "infer/eviction_policy.h"

#include <limits>

#include "infer/layer_cache.h"

namespace attnlab {

int64_t EvictionPolicy::protected_tokens(int64_t) const { return 0; }
void EvictionPolicy::prepare(LayerCache&) const {}
void EvictionPolicy::reset() {}
void EvictionPolicy::observe(LayerCache&, const torch::Tensor&) {}
int64_t EvictionPolicy::target_size(int64_t, int64_t budget) const { return budget; }
torch::Tensor EvictionPolicy::protected_slots(const LayerCache&, int64_t) const { return {}; }

void EvictionPolicy::compress(LayerCache& cache, int64_t budget) {
  const int64_t size = cache.size();
  if (!evicts() || size <= budget) return;
  const int64_t target = std::min(size, target_size(size, budget));
  if (target >= size) return;
  auto scores = score(cache, budget).to(torch::kFloat64);  // [B, H, S]
  if (auto keep = protected_slots(cache, budget); keep.defined()) {
    scores = scores.masked_fill(keep, std::numeric_limits<double>::infinity());
  }
  // A stable descending sort over the slots in reverse order: among equal scores the more recent
  // token (higher slot) comes first.
  auto reversed = scores.flip(-1);                                                // [B, H, S]
  auto order = std::get<1>(reversed.sort(/*stable=*/true, /*dim=*/-1, /*descending=*/true));  // [B, H, S]
  auto kept = (size - 1) - order.narrow(-1, 0, target);                          // [B, H, target] slots
  cache.keep(std::get<0>(kept.sort(-1)));                                        // in position order
}

void EvictionPolicy::check_budget(int64_t budget, const std::string& where) const {
  if (budget < 1) throw UserError(where + " must be at least 1 token per head, got " + std::to_string(budget));
  const int64_t kept = protected_tokens(budget);
  if (kept > 0 && budget <= kept) {
    throw UserError(where + " = " + std::to_string(budget) + " tokens per head must exceed the " +
                    std::to_string(kept) + " tokens the policy always keeps (recent window / sinks)");
  }
}

torch::Tensor recent_slots(const LayerCache& cache, int64_t n) {
  return cache.positions() >= cache.next_position() - n;  // [B, H, S]
}

torch::Tensor sink_slots(const LayerCache& cache, int64_t n) {
  return cache.positions() < n;  // [B, H, S]
}

Registry<PolicyFactory>& policy_registry() {
  static Registry<PolicyFactory> registry("eviction policy");
  return registry;
}

}  // namespace attnlab
