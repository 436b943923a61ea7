#include "data/ar_hits.h"

#include <unordered_set>

#include "data/task.h"

namespace attnlab::data {

torch::Tensor ar_hit_mask(const torch::Tensor& x, const torch::Tensor& y) {
  TORCH_CHECK(x.dim() == 2 && x.sizes() == y.sizes(), "ar_hit_mask: x and y must be [N, T] of one shape");
  auto xs = x.to(torch::kCPU, torch::kInt64).contiguous(), ys = y.to(torch::kCPU, torch::kInt64).contiguous();
  auto hits = torch::zeros(x.sizes(), torch::kBool);
  const auto xa = xs.accessor<int64_t, 2>(), ya = ys.accessor<int64_t, 2>();
  auto ha = hits.accessor<bool, 2>();
  std::unordered_set<uint64_t> seen;
  for (int64_t n = 0; n < x.size(0); ++n) {
    seen.clear();
    for (int64_t t = 0; t < x.size(1); ++t) {
      if (ya[n][t] == kIgnore) continue;
      // token ids fit in 32 bits (vocabularies are far smaller)
      const uint64_t bigram = (static_cast<uint64_t>(xa[n][t]) << 32) | static_cast<uint32_t>(ya[n][t]);
      ha[n][t] = !seen.insert(bigram).second;
    }
  }
  return hits.to(x.device());
}

}  // namespace attnlab::data
