#pragma once
/// `mixer: decay`: token mixing by learned exponential decay, a variant defined outside attnlab.
/// Per head h, y_i = out_proj( Σ_{j≤i} γ_h^{i-j} v_j / Σ_{j≤i} γ_h^{i-j} ), v = W_V x, γ_h = sigmoid(θ_h)
/// learned (init `init_decay`). No queries or keys: sequence-dependent mixing with fixed shape.
/// Decodes with a recurrent state {Σ γ^{i-j} v_j [B, H, Dh], Σ γ^{i-j} [H]} in LayerCache::state.

#include <torch/nn/modules/linear.h>

#include "model/token_mixer.h"

namespace example {

class DecayMixerImpl : public attnlab::TokenMixerImpl {
 public:
  DecayMixerImpl(int64_t d_model, int64_t n_heads, double init_decay);

  attnlab::MixerOutput forward(const attnlab::MixerInput& in) override;
  attnlab::MixerTraits traits() const override;

  /// The mixing weights [H, T, T] (row i: γ^{i-j} for j ≤ i, 0 after; not normalised).
  torch::Tensor decay_weights(int64_t T) const;

  /// Factory for `name: decay` (option: init_decay in (0, 1), default 0.9).
  static attnlab::TokenMixerPtr create(const attnlab::MixerContext& context);

 private:
  int64_t n_heads_;
  torch::nn::Linear v_proj_{nullptr};    // C -> C
  torch::nn::Linear out_proj_{nullptr};  // C -> C
  torch::Tensor decay_logit_;            // [H] θ, γ = sigmoid(θ)
};
TORCH_MODULE(DecayMixer);

/// Adds `decay` to attnlab's mixer registry.
void register_decay_mixer();

}  // namespace example
