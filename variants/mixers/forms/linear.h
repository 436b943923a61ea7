#pragma once
#include "mixers/attention_form.h"

namespace attnlab::forms {

/// Softmax removed: the raw scores s = q·k / sqrt(Dh) are the weights, y_i = Σ_{j≤i} s_ij v_j / n_i with
/// n_i = Σ_{j≤i} |s_ij| + eps (`normalize: abs_sum`, the default) or n_i = 1 (`normalize: none`).
class LinearForm : public AttentionForm {
 public:
  LinearForm(bool abs_sum, double eps) : abs_sum_(abs_sum), eps_(eps) {}

  FormTraits traits() const override { return {}; }
  torch::Tensor weigh(const torch::Tensor& scores, const torch::Tensor& future) const override;

  /// Options: normalize (abs_sum | none), eps.
  static AttentionFormPtr create(cfg::MapReader& options);

 private:
  bool abs_sum_;
  double eps_;
};

}  // namespace attnlab::forms
