#include "eviction/persistence.h"

#include <limits>
#include <stdexcept>

namespace attnlab {

std::vector<double> persistence_ratios(TransformerLM& model, const torch::Tensor& x, int64_t batch_size) {
  const int64_t T = x.size(1), h = T / 2;
  if (h < 1) throw std::logic_error("persistence_ratios: windows need at least 2 tokens");
  const bool was_training = model->is_training();
  model->eval();
  torch::NoGradGuard no_grad;
  const int64_t n_layers = model->n_layers();
  std::vector<double> both(n_layers, 0.0), later_total(n_layers, 0.0);
  std::vector<bool> has_weights(n_layers, false);
  ForwardOptions fwd;
  fwd.need_weights = true;
  for (int64_t begin = 0; begin < x.size(0); begin += batch_size) {
    const int64_t n = std::min(batch_size, x.size(0) - begin);
    LMOutput out = model->forward(x.narrow(0, begin, n), fwd);
    for (int64_t l = 0; l < n_layers; ++l) {
      const auto& weights = out.layers[l].weights;  // [b, H, T, T]
      if (!weights.defined()) continue;
      has_weights[l] = true;
      auto attended = torch::arange(1, T + 1, weights.options()).view({1, 1, T, 1});  // [1, 1, T, 1]
      auto pivotal = (weights > attended.reciprocal()).narrow(3, 0, h);             // [b, H, T, h]
      auto early = pivotal.narrow(2, 0, h).any(2);                                   // [b, H, h]
      auto later = pivotal.narrow(2, h, T - h).any(2);                               // [b, H, h]
      both[l] += (early & later).sum().item<double>();
      later_total[l] += later.sum().item<double>();
    }
  }
  if (was_training) model->train();
  std::vector<double> ratios(n_layers, std::numeric_limits<double>::quiet_NaN());
  for (int64_t l = 0; l < n_layers; ++l) {
    if (has_weights[l] && later_total[l] > 0) ratios[l] = both[l] / later_total[l];
  }
  return ratios;
}

}  // namespace attnlab
