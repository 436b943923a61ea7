#pragma once
#include <torch/types.h>

namespace attnlab {

/// Rotary position embedding (rotate-half convention, as in Llama/Qwen2).
/// Pair (i, i + Dh/2) of each head is rotated by angle pos * theta^(-2i/Dh).
class RotaryEmbedding {
 public:
  RotaryEmbedding(int64_t head_dim, double theta = 10000.0);

  /// x: [B, H, T, Dh] at absolute positions pos0 .. pos0+T-1 → rotated, same shape.
  torch::Tensor apply(const torch::Tensor& x, int64_t pos0) const;

  /// x: [B, H, T, Dh] with explicit positions [T] (int64) → rotated.
  torch::Tensor apply_at(const torch::Tensor& x, const torch::Tensor& positions) const;

  int64_t head_dim() const { return head_dim_; }

 private:
  int64_t head_dim_;
  torch::Tensor inv_freq_;  // [Dh/2] float64
};

}  // namespace attnlab
