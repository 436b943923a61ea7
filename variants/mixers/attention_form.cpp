#include "mixers/attention_form.h"

#include <cmath>
#include <stdexcept>

namespace attnlab {

torch::Tensor AttentionForm::scores(const torch::Tensor& q, const torch::Tensor& k) const {
  const double scale = 1.0 / std::sqrt(static_cast<double>(q.size(-1)));
  return torch::matmul(q, k.transpose(-2, -1)) * scale;  // [B, H, T, S]
}

FormOutput AttentionForm::mix(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                              const torch::Tensor& future, bool need_weights, bool need_stats) const {
  FormOutput out;
  if (!need_weights && !need_stats) {
    out.y = fused(q, k, v, future);  // [B, H, T, Dh] or undefined
    if (out.y.defined()) return out;
  }
  auto s = scores(q, k);  // [B, H, T, S]
  if (need_stats) out.max_abs_score = hide_future(s.detach(), future, 0.0).abs().max();
  auto weights = weigh(s, future);  // [B, H, T, S]
  out.y = torch::matmul(weights, v);  // [B, H, T, Dh]
  if (need_weights) out.weights = weights;
  return out;
}

torch::Tensor AttentionForm::fused(const torch::Tensor&, const torch::Tensor&, const torch::Tensor&,
                                   const torch::Tensor&) const {
  return {};
}

torch::Tensor AttentionForm::fused_biased(const torch::Tensor&, const torch::Tensor&, const torch::Tensor&,
                                          const torch::Tensor&, const torch::Tensor&) const {
  return {};
}

FormOutput AttentionForm::step(const torch::Tensor&, const torch::Tensor&, const torch::Tensor&,
                               std::vector<torch::Tensor>&, bool) const {
  throw std::logic_error("this attention form has no recurrent form");
}

Registry<FormFactory>& attention_form_registry() {
  static Registry<FormFactory> registry("attention form");
  return registry;
}

torch::Tensor causal_future_mask(int64_t T, int64_t S, const torch::Device& device) {
  auto opts = torch::TensorOptions().dtype(torch::kInt64).device(device);
  auto query_pos = torch::arange(S - T, S, opts).unsqueeze(1);  // [T, 1]
  auto key_pos = torch::arange(0, S, opts).unsqueeze(0);        // [1, S]
  return key_pos > query_pos;                                   // [T, S]
}

torch::Tensor hide_future(const torch::Tensor& x, const torch::Tensor& future, double value) {
  return future.defined() ? x.masked_fill(future, value) : x;
}

torch::Tensor masked_softmax(const torch::Tensor& scores, const torch::Tensor& future) {
  return torch::softmax(hide_future(scores, future, -INFINITY), -1);
}

torch::Tensor normalise_rows(const torch::Tensor& w, double eps) { return w / (w.sum(-1, true) + eps); }

std::pair<std::string, double> read_normalisation(cfg::MapReader& r, const std::string& fallback,
                                                  const std::vector<std::string>& choices) {
  std::string normalize = r.choice("normalize", fallback, choices);
  const double eps = r.number("eps", 1e-6);
  if (!(eps > 0)) cfg::fail_at(r.node().find("eps")->source(), r.key_path("eps") + ": must be > 0");
  return {normalize, eps};
}

}  // namespace attnlab
