#include "mixers/forms/softmax.h"

namespace attnlab::forms {

FormTraits SoftmaxForm::traits() const {
  FormTraits t;
  t.standard = true;
  return t;
}

torch::Tensor SoftmaxForm::weigh(const torch::Tensor& scores, const torch::Tensor& future) const {
  return masked_softmax(scores, future);
}

AttentionFormPtr SoftmaxForm::create(cfg::MapReader&) { return std::make_shared<SoftmaxForm>(); }

}  // namespace attnlab::forms
