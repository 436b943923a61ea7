#include "mixers/forms/elu1.h"

namespace attnlab::forms {

torch::Tensor Elu1Form::features(const torch::Tensor& x) const { return torch::elu(x) + 1.0; }

torch::Tensor Elu1Form::scores(const torch::Tensor& q, const torch::Tensor& k) const {
  return torch::matmul(features(q), features(k).transpose(-2, -1));  // [B, H, T, S]
}

AttentionFormPtr Elu1Form::create(cfg::MapReader&) { return std::make_shared<Elu1Form>(); }

}  // namespace attnlab::forms
