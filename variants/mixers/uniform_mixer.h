#pragma once
/// The `mixing: uniform` axis: fixed causal averaging, y_i = out_proj(mean_{j≤i} v_j) with v = W_V x.
/// Token mixing without any sequence dependence. `mixer: uniform`, no options. Decoding keeps the
/// running {Σ v [B, C], count [1]} in LayerCache::state.

#include <torch/nn/modules/linear.h>

#include "model/token_mixer.h"

namespace attnlab {

class UniformMixerImpl : public TokenMixerImpl {
 public:
  explicit UniformMixerImpl(int64_t d_model);

  MixerOutput forward(const MixerInput& in) override;
  MixerTraits traits() const override;

  /// Factory for `name: uniform`.
  static TokenMixerPtr create(const MixerContext& context);

 private:
  torch::nn::Linear v_proj_{nullptr};    // C -> C
  torch::nn::Linear out_proj_{nullptr};  // C -> C
};
TORCH_MODULE(UniformMixer);

}  // namespace attnlab
