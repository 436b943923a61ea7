#pragma once
#include "mixers/forms/elementwise.h"

namespace attnlab::forms {

/// w_ij = relu(q_i·k_j / sqrt(Dh)), row-normalised by default (options: normalize sum | none, eps).
class ReluForm : public ElementwiseForm {
 public:
  using ElementwiseForm::ElementwiseForm;
  static AttentionFormPtr create(cfg::MapReader& options) { return create_as<ReluForm>(options); }

 protected:
  torch::Tensor activation(const torch::Tensor& scores) const override { return torch::relu(scores); }
};

}  // namespace attnlab::forms
