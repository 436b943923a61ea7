#pragma once
#include <torch/nn/module.h>
#include <torch/nn/modules/dropout.h>
#include <torch/nn/pimpl.h>

#include "model/rms_norm.h"
#include "model/swiglu.h"
#include "model/token_mixer.h"

namespace attnlab {

/// Pre-norm residual block: h += mixer(norm(h)); h += swiglu(norm(h)).
class BlockImpl : public torch::nn::Module {
 public:
  BlockImpl(TokenMixerPtr mixer, int64_t d_model, int64_t ffn_hidden, double norm_eps, double dropout);

  /// `in.x` is the residual stream h [B, T, C] here (normalised inside); in.qk, when defined, is
  /// normalised with the same norm. Returns the mixer's output with y = the new residual stream.
  MixerOutput forward(const torch::Tensor& h, MixerInput in);

  TokenMixerImpl& mixer() { return *mixer_; }
  const TokenMixerImpl& mixer() const { return *mixer_; }

 private:
  TokenMixerPtr mixer_;
  RMSNorm mixer_norm_{nullptr};
  RMSNorm mlp_norm_{nullptr};
  SwiGLU mlp_{nullptr};
  torch::nn::Dropout dropout_{nullptr};
};
TORCH_MODULE(Block);

}  // namespace attnlab
