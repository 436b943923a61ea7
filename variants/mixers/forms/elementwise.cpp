#include "mixers/forms/elementwise.h"

namespace attnlab::forms {

torch::Tensor ElementwiseForm::weigh(const torch::Tensor& scores, const torch::Tensor& future) const {
  auto w = hide_future(activation(scores), future, 0.0);  // [B, H, T, S]
  return sum_ ? normalise_rows(w, eps_) : w;
}

}  // namespace attnlab::forms
