#pragma once
#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>

namespace attnlab {

/// y = x / sqrt(mean(x^2) + eps) * weight, over the last dimension.
class RMSNormImpl : public torch::nn::Module {
 public:
  RMSNormImpl(int64_t dim, double eps = 1e-6);
  torch::Tensor forward(const torch::Tensor& x);  // [..., C] -> [..., C]

 private:
  double eps_;
  torch::Tensor weight_;  // [C]
};
TORCH_MODULE(RMSNorm);

}  // namespace attnlab
