#include "model/rope.h"

#include <c10/core/InferenceMode.h>

#include <algorithm>

namespace attnlab {

RotaryEmbedding::RotaryEmbedding(int64_t head_dim, double theta) : head_dim_(head_dim) {
  TORCH_CHECK(head_dim % 2 == 0, "RoPE needs an even head dimension, got ", head_dim);
  auto exponents = torch::arange(0, head_dim, 2, torch::kFloat64) / static_cast<double>(head_dim);
  inv_freq_ = torch::pow(theta, -exponents);  // [Dh/2]
}

const RotaryEmbedding::Table& RotaryEmbedding::table(int64_t positions, const torch::Tensor& like) const {
  if (!exact_.cos.defined() || exact_.cos.size(0) < positions) {
    // Normal tensors even when first asked for under InferenceMode: training may use them later.
    c10::InferenceMode normal_tensors(false);
    torch::NoGradGuard no_grad;
    const int64_t size = std::max<int64_t>(positions, exact_.cos.defined() ? 2 * exact_.cos.size(0) : 256);
    auto angles = torch::arange(size, torch::kFloat64).unsqueeze(-1) * inv_freq_;  // [P, Dh/2]
    exact_.cos = angles.cos().repeat({1, 2});                                       // [P, Dh]
    exact_.signed_sin = torch::cat({-angles.sin(), angles.sin()}, -1);              // [P, Dh]
    cast_.clear();
  }
  for (const auto& t : cast_) {
    if (t.cos.scalar_type() == like.scalar_type() && t.cos.device() == like.device()) return t;
  }
  c10::InferenceMode normal_tensors(false);
  torch::NoGradGuard no_grad;
  cast_.push_back({exact_.cos.to(like.options()), exact_.signed_sin.to(like.options())});
  return cast_.back();
}

torch::Tensor RotaryEmbedding::apply(const torch::Tensor& x, int64_t pos0) const {
  const int64_t T = x.size(-2), half = head_dim_ / 2;
  const Table& t = table(pos0 + T, x);
  auto cos = t.cos.narrow(0, pos0, T);                  // [T, Dh]
  auto signed_sin = t.signed_sin.narrow(0, pos0, T);    // [T, Dh]
  auto swapped = torch::cat({x.narrow(-1, half, half), x.narrow(-1, 0, half)}, -1);  // [B, H, T, Dh]: (x2, x1)
  return x * cos + swapped * signed_sin;
}

}  // namespace attnlab
