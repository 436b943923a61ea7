#include "mixers/forms/nonapprox.h"

#include <cmath>

namespace attnlab::forms {

FormTraits NonApproxForm::traits() const {
  FormTraits t;
  t.rope = false;
  t.kv_cache = false;
  t.recurrent = true;
  return t;
}

torch::Tensor NonApproxForm::transform_queries(const torch::Tensor& q) const { return torch::silu(q); }

torch::Tensor NonApproxForm::token_logits(const torch::Tensor& q, const torch::Tensor& k) {
  TORCH_CHECK(q.size(2) == k.size(2), "non-approximate attention: q and k must be the same tokens");
  return (q * k).sum(-1) / std::sqrt(static_cast<double>(q.size(-1)));  // [B, H, T]
}

torch::Tensor NonApproxForm::scores(const torch::Tensor& q, const torch::Tensor& k) const {
  auto l = token_logits(q, k);                      // [B, H, T]
  return l.unsqueeze(-2).expand({-1, -1, q.size(2), -1});  // [B, H, T, T]: row i holds l_j
}

torch::Tensor NonApproxForm::weigh(const torch::Tensor& scores, const torch::Tensor& future) const {
  return masked_softmax(scores, future);
}

FormOutput NonApproxForm::step(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                               std::vector<torch::Tensor>& state, bool need_stats) const {
  const int64_t T = q.size(2);
  auto l = token_logits(q, k);  // [B, H, T]
  if (state.empty()) {
    state = {torch::full_like(l.select(-1, 0), -INFINITY), torch::zeros_like(v.select(2, 0)),
             torch::zeros_like(l.select(-1, 0))};
  }
  const auto& m_prev = state[0];  // [B, H]
  auto m = torch::maximum(std::get<0>(l.cummax(-1)), m_prev.unsqueeze(-1)).detach();  // [B, H, T] running max
  auto future = causal_future_mask(T, T, q.device());                                 // [T, T]
  auto e = (l.unsqueeze(-2) - m.unsqueeze(-1)).masked_fill(future, -INFINITY).exp();  // [B, H, T, T] ≤ 1
  auto carry = (m_prev.unsqueeze(-1) - m).exp();                                      // [B, H, T]
  auto numerator = carry.unsqueeze(-1) * state[1].unsqueeze(2) + torch::matmul(e, v);  // [B, H, T, Dh]
  auto denominator = carry * state[2].unsqueeze(-1) + e.sum(-1);                      // [B, H, T]
  state = {m.select(-1, T - 1), numerator.select(2, T - 1), denominator.select(-1, T - 1)};
  FormOutput out;
  out.y = numerator / denominator.unsqueeze(-1);
  if (need_stats) out.max_abs_score = l.detach().abs().max();
  return out;
}

AttentionFormPtr NonApproxForm::create(cfg::MapReader&) { return std::make_shared<NonApproxForm>(); }

}  // namespace attnlab::forms
