#pragma once
/// The standard baseline: causal multi-head scaled dot-product attention with RoPE,
/// A = softmax(Q K^T / sqrt(d_h)), Q, K from `qk`, V from `x`.

#include <torch/nn/modules/linear.h>

#include "model/rope.h"
#include "model/token_mixer.h"

namespace attnlab {

class SoftmaxAttentionImpl : public TokenMixerImpl {
 public:
  SoftmaxAttentionImpl(int64_t d_model, int64_t n_heads, double rope_theta);

  MixerOutput forward(const MixerInput& in) override;
  MixerTraits traits() const override;

  /// Factory for the mixer registry (`mixer: {name: softmax}`; no further options).
  static TokenMixerPtr create(const MixerContext& context);

 private:
  int64_t n_heads_;
  int64_t head_dim_;
  RotaryEmbedding rope_;
  torch::nn::Linear qkv_proj_{nullptr};  // C -> 3C (q, k, v stacked)
  torch::nn::Linear out_proj_{nullptr};  // C -> C
};

/// Boolean mask [T, S] that is true where key j is in the future of query i, for T queries whose
/// first one sits at key index S - T (the usual causal mask when S == T).
torch::Tensor causal_future_mask(int64_t T, int64_t S, const torch::Device& device);

}  // namespace attnlab
