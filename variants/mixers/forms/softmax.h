#pragma once
#include "mixers/attention_form.h"

namespace attnlab::forms {

/// The standard form: A = softmax(q·k / sqrt(Dh)) over visible keys. No options.
/// On CUDA with LibTorch 2.x, fused() runs torch's scaled_dot_product_attention (flash or
/// memory-efficient kernels); on the CPU and with LibTorch 1.x the unfused path.
class SoftmaxForm : public AttentionForm {
 public:
  FormTraits traits() const override;
  torch::Tensor weigh(const torch::Tensor& scores, const torch::Tensor& future) const override;
  torch::Tensor fused(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                      const torch::Tensor& future) const override;

  static AttentionFormPtr create(cfg::MapReader& options);
};

}  // namespace attnlab::forms
