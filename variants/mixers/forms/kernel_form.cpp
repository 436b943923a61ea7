#include "mixers/forms/kernel_form.h"

namespace attnlab::forms {

FormTraits KernelForm::traits() const {
  FormTraits t;
  t.kv_cache = false;
  t.recurrent = true;
  return t;
}

torch::Tensor KernelForm::weigh(const torch::Tensor& scores, const torch::Tensor& future) const {
  auto a = hide_future(kernel(scores), future, 0.0);  // [B, H, T, S]
  return a / a.sum(-1, true);
}

FormOutput KernelForm::step(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                            std::vector<torch::Tensor>& state, bool) const {
  const int64_t T = q.size(2);
  auto a = kernel(scores(q, k)).masked_fill(causal_future_mask(T, T, q.device()), 0.0);  // [B, H, T, T]
  auto numerator = torch::matmul(a, v);  // [B, H, T, Dh]
  auto denominator = a.sum(-1, true);    // [B, H, T, 1]
  auto phi_k = features(k);              // [B, H, T, F]
  auto kv = torch::matmul(phi_k.transpose(-2, -1), v);  // [B, H, F, Dh]
  auto k_sum = phi_k.sum(2);                            // [B, H, F]
  if (state.empty()) {
    state = {kv, k_sum};
  } else {
    auto phi_q = features(q);  // [B, H, T, F]
    numerator = numerator + torch::matmul(phi_q, state[0]);
    denominator = denominator + torch::matmul(phi_q, state[1].unsqueeze(-1));
    state = {state[0] + kv, state[1] + k_sum};
  }
  FormOutput out;
  out.y = numerator / denominator;  // [B, H, T, Dh]
  return out;
}

}  // namespace attnlab::forms
