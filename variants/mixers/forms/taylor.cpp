#include "mixers/forms/taylor.h"

#include <cmath>

namespace attnlab::forms {

torch::Tensor TaylorForm::kernel(const torch::Tensor& s) const { return 1.0 + s + 0.5 * s * s; }

torch::Tensor TaylorForm::features(const torch::Tensor& x) const {
  const int64_t Dh = x.size(-1);
  auto scaled = x / std::pow(static_cast<double>(Dh), 0.25);                 // [B, H, T, Dh]
  auto outer = (scaled.unsqueeze(-1) * scaled.unsqueeze(-2)) / std::sqrt(2.0);  // [B, H, T, Dh, Dh]
  auto sizes = scaled.sizes().vec();
  sizes.back() = Dh * Dh;
  return torch::cat({torch::ones_like(scaled.narrow(-1, 0, 1)), scaled, outer.reshape(sizes)}, -1);  // [.., F]
}

AttentionFormPtr TaylorForm::create(cfg::MapReader&) { return std::make_shared<TaylorForm>(); }

}  // namespace attnlab::forms
