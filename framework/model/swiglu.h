#pragma once
#include <torch/nn/module.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

namespace attnlab {

/// down(silu(gate(x)) * up(x)), no biases. `down_proj` is a residual projection (scaled init).
class SwiGLUImpl : public torch::nn::Module {
 public:
  SwiGLUImpl(int64_t d_model, int64_t hidden);
  torch::Tensor forward(const torch::Tensor& x);  // [B, T, C] -> [B, T, C]

  int64_t hidden() const { return hidden_; }

 private:
  int64_t hidden_;
  torch::nn::Linear gate_up_proj_{nullptr};  // C -> 2 * hidden (gate and up fused)
  torch::nn::Linear down_proj_{nullptr};     // hidden -> C
};
TORCH_MODULE(SwiGLU);

/// SwiGLU hidden size for a model width: ratio * d_model rounded up to a multiple of 8.
int64_t swiglu_hidden_size(int64_t d_model, double ratio);

}  // namespace attnlab
