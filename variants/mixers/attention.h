#pragma once
/// Causal multi-head attention composed from two axes: a `form` (softmax, linear, relu, sigmoid, elu1,
/// taylor, nonapprox: mixers/forms/) and a `qk_source` (current or a registered source:
/// model/qk_source.h). `mixer: {name: attention, form: taylor, qk_source: current}`; every form is also
/// registered under its own name (`mixer: taylor`, `mixer: softmax`: the standard baseline).
///
/// Q, K come from `qk`, V from `x`; RoPE on q/k for dot-product forms. Decoding: forms with explicit
/// weights attend over the LayerCache's keys/values; recurrent forms keep their state in LayerCache::state.

#include <torch/nn/modules/linear.h>

#include <optional>

#include "mixers/attention_form.h"
#include "model/rope.h"
#include "model/token_mixer.h"

namespace attnlab {

class AttentionImpl : public TokenMixerImpl {
 public:
  AttentionImpl(int64_t d_model, int64_t n_heads, double rope_theta, AttentionFormPtr form,
                QKSourcePtr qk_source = nullptr);

  MixerOutput forward(const MixerInput& in) override;
  MixerTraits traits() const override;
  QKSourcePtr qk_source() const override { return qk_source_; }

  const AttentionForm& form() const { return *form_; }

  /// Factory for `name: attention`: options form (default softmax), the form's own options, qk_source.
  static TokenMixerPtr create(const MixerContext& context);
  /// Factory for the shorthand `name: <form>`: the form's options and qk_source, no `form` key.
  static MixerFactory factory_for_form(const std::string& form);

 protected:
  /// Additive bias on the attention logits, added to the form's scores before weigh() (the
  /// unbiased scores still feed MixerStats::max_abs_score). Called once per forward of a
  /// form with explicit weights, after this call's keys joined `in.cache` when decoding.
  /// Returns a tensor broadcastable to [B, H, T, S] (S: T without a cache, the cache's size with
  /// one), or an undefined tensor: no bias (the default).
  virtual torch::Tensor score_bias(const MixerInput& in);

 private:
  static TokenMixerPtr build(const MixerContext& context, const std::optional<std::string>& form);
  /// x [..., T, Dh] rotated by RoPE at positions pos0.. when the form uses it, else x.
  torch::Tensor rope_or_identity(const torch::Tensor& x, int64_t pos0) const;

  int64_t n_heads_;
  int64_t head_dim_;
  AttentionFormPtr form_;
  FormTraits form_traits_;
  QKSourcePtr qk_source_;  // null: current
  RotaryEmbedding rope_;
  torch::nn::Linear qkv_proj_{nullptr};  // C -> 3C (q, k, v stacked)
  torch::nn::Linear out_proj_{nullptr};  // C -> C
};
TORCH_MODULE(Attention);

}  // namespace attnlab
