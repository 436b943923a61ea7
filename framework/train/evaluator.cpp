#include "train/evaluator.h"

#include <cmath>
#include <limits>

namespace attnlab {

EvalResult evaluate_windows(TransformerLM& model, const torch::Tensor& x, const torch::Tensor& y, int64_t batch_size,
                            double chars_per_token, const ForwardOptions& forward_options) {
  const bool was_training = model->is_training();
  model->eval();
  torch::NoGradGuard no_grad;
  ForwardOptions fwd = forward_options;
  fwd.need_stats = true;

  const int64_t n_layers = model->n_layers();
  EvalResult result;
  result.max_abs_score.assign(n_layers, std::numeric_limits<double>::quiet_NaN());
  auto loss_sum = torch::zeros({}, torch::kFloat64);
  for (int64_t begin = 0; begin < x.size(0); begin += batch_size) {
    const int64_t n = std::min(batch_size, x.size(0) - begin);
    auto xb = x.narrow(0, begin, n);  // [b, T]
    auto yb = y.narrow(0, begin, n);  // [b, T]
    LMOutput out = model->forward(xb, fwd);
    auto logits = out.logits.reshape({-1, out.logits.size(-1)});  // [b*T, V]
    loss_sum += torch::nn::functional::cross_entropy(
                    logits, yb.reshape(-1), torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum))
                    .to(torch::kFloat64);
    for (int64_t l = 0; l < n_layers; ++l) {
      const auto& score = out.layers[l].stats.max_abs_score;
      if (!score.defined()) continue;
      const double value = score.item<double>();
      double& best = result.max_abs_score[l];
      if (std::isnan(best) || value > best) best = value;
    }
  }
  result.tokens = x.numel();
  result.loss = loss_sum.item<double>() / static_cast<double>(result.tokens);
  result.ppl = std::exp(result.loss);
  result.bpc = result.loss / std::log(2.0) / chars_per_token;
  if (was_training) model->train();
  return result;
}

std::vector<bool> nonstandard_layers(TransformerLM& model) {
  std::vector<bool> skip(model->n_layers());
  for (int64_t l = 0; l < model->n_layers(); ++l) skip[l] = !model->block(l).mixer().traits().is_standard;
  return skip;
}

}  // namespace attnlab
