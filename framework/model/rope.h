#pragma once
#include <torch/types.h>

#include <vector>

namespace attnlab {

/// Rotary position embedding (rotate-half convention, as in Llama/Qwen2).
/// Pair (i, i + Dh/2) of each head is rotated by angle pos * theta^(-2i/Dh).
///
/// The cos/sin tables are computed once in float64 (exact for large positions), cast to each
/// dtype/device they are used with, and grown by doubling when a position beyond them is asked
/// for; apply() then only slices them. Not thread-safe (the tables are a cache).
class RotaryEmbedding {
 public:
  RotaryEmbedding(int64_t head_dim, double theta = 10000.0);

  /// x: [..., T, Dh] (e.g. [B, H, T, Dh]) at absolute positions pos0 .. pos0+T-1 → rotated, same shape.
  torch::Tensor apply(const torch::Tensor& x, int64_t pos0) const;

  int64_t head_dim() const { return head_dim_; }

 private:
  struct Table {
    torch::Tensor cos;          ///< [P, Dh]: cos of each pair's angle, repeated for both halves
    torch::Tensor signed_sin;   ///< [P, Dh]: -sin for the first half, +sin for the second
  };
  /// The table covering positions [0, positions) in `like`'s dtype and device.
  const Table& table(int64_t positions, const torch::Tensor& like) const;

  int64_t head_dim_;
  torch::Tensor inv_freq_;              // [Dh/2] float64
  mutable Table exact_;                 // float64 on the CPU, the source of the cast tables
  mutable std::vector<Table> cast_;     // one per (dtype, device) in use
};

}  // namespace attnlab
