#include "model/rope.h"

namespace attnlab {

RotaryEmbedding::RotaryEmbedding(int64_t head_dim, double theta) : head_dim_(head_dim) {
  TORCH_CHECK(head_dim % 2 == 0, "RoPE needs an even head dimension, got ", head_dim);
  auto exponents = torch::arange(0, head_dim, 2, torch::kFloat64) / static_cast<double>(head_dim);
  inv_freq_ = torch::pow(theta, -exponents);  // [Dh/2]
}

torch::Tensor RotaryEmbedding::apply(const torch::Tensor& x, int64_t pos0) const {
  const int64_t T = x.size(2);
  return apply_at(x, torch::arange(pos0, pos0 + T, torch::kInt64));
}

torch::Tensor RotaryEmbedding::apply_at(const torch::Tensor& x, const torch::Tensor& positions) const {
  // Angles in float64 so large positions keep their precision, then cast to x's dtype.
  auto angles = positions.to(torch::kFloat64).unsqueeze(-1) * inv_freq_;  // [T, Dh/2]
  auto cos = angles.cos().repeat({1, 2}).to(x.options());                 // [T, Dh]
  auto sin = angles.sin().repeat({1, 2}).to(x.options());                 // [T, Dh]
  const int64_t half = head_dim_ / 2;
  auto x1 = x.narrow(-1, 0, half);                 // [B, H, T, Dh/2]
  auto x2 = x.narrow(-1, half, half);              // [B, H, T, Dh/2]
  auto rotated_half = torch::cat({-x2, x1}, -1);   // [B, H, T, Dh]
  return x * cos + rotated_half * sin;
}

}  // namespace attnlab
