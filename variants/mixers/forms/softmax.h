#pragma once
#include "mixers/attention_form.h"

namespace attnlab::forms {

/// The standard form: A = softmax(q·k / sqrt(Dh)) over visible keys. No options.
class SoftmaxForm : public AttentionForm {
 public:
  FormTraits traits() const override;
  torch::Tensor weigh(const torch::Tensor& scores, const torch::Tensor& future) const override;

  static AttentionFormPtr create(cfg::MapReader& options);
};

}  // namespace attnlab::forms
