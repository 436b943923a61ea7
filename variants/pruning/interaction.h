#pragma once
/// The context-interaction module of Dynamic Context Pruning (Anagnostidis et al. 2023, §3):
/// per layer, shared by all heads, it decides which earlier tokens each query drops for good.
///
/// Indexing (the paper's, rows = queries, columns = keys):
///   q_int_n = W_Qint x_n,  k_int_j = W_Kint x_j                 (dimension r, no bias)
///   s_nj = q_int_n · k_int_j / √r + β                             (β learnable, initialised > 0)
///   p_nj = α-sigmoid(s_nj) for j < n,  p_nj = 1 for j ≥ n       (a token never drops itself)
///   I_kj = Π_{n = j+1 .. k} p_nj                                  (1 for j ≥ k: empty product)
/// p_nj is query n's vote to keep key j; the product runs ALONG THE QUERY AXIS, so once a
/// query n sets p_nj = 0, I_kj = 0 for every later query k ≥ n: dropped stays dropped, which is
/// what lets decoding evict key j from the KV cache for real. log I_kj is added to the attention
/// logits of query k and key j (in every head).
///
/// log I is computed as a cumulative sum of log p along the query axis, with log 0 replaced by a
/// finite floor (kLogZero = -1e4) and the sum clamped to that floor, so it is finite in the
/// forward and backward passes. An entry equal to the floor is dropped: exp(-1e4) = 0.

#include <torch/nn/module.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

#include "pruning/alpha_sigmoid.h"

namespace attnlab {

struct ContextInteractionOptions {
  int64_t d_model = 0;           ///< C: width of the layer input x
  int64_t rank = 64;             ///< r: width of q_int and k_int
  double beta_init = 2.0;        ///< initial β; positive, so training starts with (almost) everything kept
  double log_floor = kLogZero;   ///< finite stand-in for log 0 and lower clamp of log I
};

class ContextInteractionImpl : public torch::nn::Module {
 public:
  explicit ContextInteractionImpl(const ContextInteractionOptions& options);

  /// s = q_int k_intᵀ / √r + β. x: [B, T, C] → [B, T, T] (query n, key j), all entries.
  torch::Tensor scores(const torch::Tensor& x);

  /// The same scores against keys already projected (decoding keeps k_int of cached tokens):
  /// x_query [B, T, C], k_int [B, S, r] → q_int k_intᵀ / √r + β [B, T, S].
  torch::Tensor scores_against(const torch::Tensor& x_query, const torch::Tensor& k_int);

  /// log I for one sequence: x [B, T, C], α ≥ 1 (α-sigmoid sharpness) → log_keep [B, T, T]
  /// (query k, key j): 0 on and above the diagonal, ≤ 0 and non-increasing down each column,
  /// exactly options().log_floor where dropped.
  torch::Tensor forward(const torch::Tensor& x, double alpha);

  const ContextInteractionOptions& options() const { return options_; }
  torch::nn::Linear& q_int() { return q_int_; }
  torch::nn::Linear& k_int() { return k_int_; }
  torch::Tensor& beta() { return beta_; }

 private:
  ContextInteractionOptions options_;
  torch::nn::Linear q_int_{nullptr};  // C -> r
  torch::nn::Linear k_int_{nullptr};  // C -> r
  torch::Tensor beta_;                // [] scalar offset of every score
};
TORCH_MODULE(ContextInteraction);

/// log I from per-query log keep probabilities: log_p [..., T, T] (query n, key j; entries with
/// j ≥ n are ignored and treated as log 1 = 0) → [..., T, T] with
/// log I_kj = max(Σ_{n = j+1 .. k} log p_nj, log_floor).
torch::Tensor cumulative_log_keep(const torch::Tensor& log_p, double log_floor = kLogZero);

/// Hard keep rule for evaluation and cache eviction: log_keep [..., T, S] → bool, true where
/// log_keep > log_threshold. With the default threshold it is exactly "I > 0": false where some
/// query's α-sigmoid was exactly 0 (α > 1), or the product fell below e^{-1e4}.
torch::Tensor keep_mask(const torch::Tensor& log_keep, double log_threshold = kLogZero);

}  // namespace attnlab
