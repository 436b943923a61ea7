#include "mixers/forms/linear.h"

namespace attnlab::forms {

torch::Tensor LinearForm::weigh(const torch::Tensor& scores, const torch::Tensor& future) const {
  auto w = hide_future(scores, future, 0.0);  // [B, H, T, S]
  return abs_sum_ ? w / (w.abs().sum(-1, true) + eps_) : w;
}

AttentionFormPtr LinearForm::create(cfg::MapReader& options) {
  auto [normalize, eps] = read_normalisation(options, "abs_sum", {"abs_sum", "none"});
  return std::make_shared<LinearForm>(normalize == "abs_sum", eps);
}

}  // namespace attnlab::forms
