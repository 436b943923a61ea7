#pragma once
#include "mixers/forms/kernel_form.h"

namespace attnlab::forms {

/// The paper's "Approximate": softmax's second-order Taylor expansion (as in Based),
/// w_ij ∝ 1 + s + s²/2 with s = q_i·k_j / sqrt(Dh), row-normalised (always positive). Recurrent form
/// through φ(x) = [1, x, vec(x xᵀ)/√2] with x = q / Dh^{1/4} (F = 1 + Dh + Dh²). No options.
class TaylorForm : public KernelForm {
 public:
  static AttentionFormPtr create(cfg::MapReader& options);

 protected:
  torch::Tensor kernel(const torch::Tensor& scores) const override;
  torch::Tensor features(const torch::Tensor& x) const override;
};

}  // namespace attnlab::forms
