#pragma once
/// The `mixing: self` axis, the paper's "MLP" variant: no token mixing, y_t = f(x_t) with
/// f = out_proj(SiLU(gate(x)) * up(x)), a SwiGLU sized to attention's 4·C² weights: hidden = round(4C/3),
/// so 3·C·hidden = 4·C² exactly when 3 divides C (else off by exactly C). `mixer: mlp`, option `hidden`
/// (0 = parameter-matched). Needs no decoding state.

#include <torch/nn/modules/linear.h>

#include "model/token_mixer.h"

namespace attnlab {

class MLPMixerImpl : public TokenMixerImpl {
 public:
  MLPMixerImpl(int64_t d_model, int64_t hidden);

  MixerOutput forward(const MixerInput& in) override;
  MixerTraits traits() const override;

  int64_t hidden() const { return hidden_; }

  /// The hidden size whose 3·C·hidden weights match attention's 4·C².
  static int64_t matched_hidden(int64_t d_model);
  /// Factory for `name: mlp` (option: hidden).
  static TokenMixerPtr create(const MixerContext& context);

 private:
  int64_t hidden_;
  torch::nn::Linear gate_up_proj_{nullptr};  // C -> 2 * hidden (gate and up fused)
  torch::nn::Linear out_proj_{nullptr};      // hidden -> C (residual projection: scaled init)
};
TORCH_MODULE(MLPMixer);

}  // namespace attnlab
