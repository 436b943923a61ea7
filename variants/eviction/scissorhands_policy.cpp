#include "eviction/scissorhands_policy.h"

#include <algorithm>

#include "eviction/policy_options.h"
#include "infer/layer_cache.h"

namespace attnlab {

std::shared_ptr<EvictionPolicy> ScissorhandsPolicy::create(cfg::MapReader& options) {
  const int64_t window = read_count(options, "window", 400, 1);
  const int64_t recent = read_count(options, "recent", 10, 0);
  const int64_t drop = read_count(options, "drop", 0, 0);
  return std::make_shared<ScissorhandsPolicy>(window, recent, drop);
}

void ScissorhandsPolicy::prepare(LayerCache& cache) const { cache.reserve_token_history(window_); }

void ScissorhandsPolicy::observe(LayerCache& cache, const torch::Tensor& weights) {
  const int64_t T = weights.size(2);
  if (T == 1) {  // a decoding step: its query attends every held token, so the threshold is 1 / size
    const int64_t column = (cache.next_position() - 1) % window_;
    cache.set_history_column(column, weights.select(2, 0).gt(1.0 / static_cast<double>(cache.size())));  // [B, H, S] pivotal
    return;
  }
  const int64_t n = std::min(T, window_);  // earlier queries of a long prefill fall out of the window
  auto positions = cache.positions();                                                         // [B, H, S]
  auto query_pos = torch::arange(cache.next_position() - n, cache.next_position(), positions.options());  // [n]
  auto w = weights.narrow(2, T - n, n);                                                       // [B, H, n, S]
  auto attended = (positions.unsqueeze(2) <= query_pos.view({1, 1, n, 1})).sum(-1, true);   // [B, H, n, 1]
  auto pivotal = w > attended.to(w.scalar_type()).reciprocal();                               // [B, H, n, S]
  auto columns = query_pos.remainder(window_);                                                // [n]
  cache.set_history_columns(columns, pivotal.permute({0, 1, 3, 2}));  // [B, H, S, n]
}

int64_t ScissorhandsPolicy::drop(int64_t budget) const {
  const int64_t m = drop_ > 0 ? drop_ : budget / 2;
  return std::clamp<int64_t>(m, 1, std::max<int64_t>(1, budget - recent_));
}

int64_t ScissorhandsPolicy::target_size(int64_t size, int64_t budget) const {
  return std::min(size - drop(budget), budget);
}

torch::Tensor ScissorhandsPolicy::score(const LayerCache& cache, int64_t) {
  return cache.history_counts();  // [B, H, S]
}

torch::Tensor ScissorhandsPolicy::protected_slots(const LayerCache& cache, int64_t) const {
  return recent_slots(cache, recent_);
}

}  // namespace attnlab
