#pragma once
#include "mixers/forms/kernel_form.h"

namespace attnlab::forms {

/// Linear attention (Katharopoulos et al.) with φ(x) = elu(x) + 1:
/// y_i = φ(q_i)ᵀ Σ_{j≤i} φ(k_j) v_jᵀ / φ(q_i)ᵀ Σ_{j≤i} φ(k_j). Scores are φ(q_i)·φ(k_j). No options.
class Elu1Form : public KernelForm {
 public:
  torch::Tensor scores(const torch::Tensor& q, const torch::Tensor& k) const override;
  static AttentionFormPtr create(cfg::MapReader& options);

 protected:
  torch::Tensor kernel(const torch::Tensor& scores) const override { return scores; }
  torch::Tensor features(const torch::Tensor& x) const override;
};

}  // namespace attnlab::forms
