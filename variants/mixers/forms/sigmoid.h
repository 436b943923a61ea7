#pragma once
#include "mixers/forms/elementwise.h"

namespace attnlab::forms {

/// w_ij = sigmoid(q_i·k_j / sqrt(Dh)), row-normalised by default (options: normalize sum | none, eps).
class SigmoidForm : public ElementwiseForm {
 public:
  using ElementwiseForm::ElementwiseForm;
  static AttentionFormPtr create(cfg::MapReader& options) { return create_as<SigmoidForm>(options); }

 protected:
  torch::Tensor activation(const torch::Tensor& scores) const override { return torch::sigmoid(scores); }
};

}  // namespace attnlab::forms
