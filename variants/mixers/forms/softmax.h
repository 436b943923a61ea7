#pragma once
#include "mixers/attention_form.h"

namespace attnlab::forms {

/// The standard form: A = softmax(q·k / sqrt(Dh)) over visible keys. No options.
/// fused(): on CUDA with LibTorch 2.x torch's scaled_dot_product_attention (flash or
/// memory-efficient kernels); on the CPU in float32 flash_attention_cpu (forms/flash_cpu.h) for
/// the causal mask of training and one query over a cache (ATTNLAB_CPU_FLASH=0: off); otherwise
/// the unfused path.
class SoftmaxForm : public AttentionForm {
 public:
  FormTraits traits() const override;
  torch::Tensor weigh(const torch::Tensor& scores, const torch::Tensor& future) const override;
  torch::Tensor fused(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                      const torch::Tensor& future) const override;
  /// On the CPU in float32, flash_attention_cpu with the bias when it is shared by the heads
  /// ([B|1, 1, T, S], as DCP's keep scores); otherwise undefined (the unfused path).
  torch::Tensor fused_biased(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                             const torch::Tensor& future, const torch::Tensor& bias) const override;

  static AttentionFormPtr create(cfg::MapReader& options);
};

}  // namespace attnlab::forms
