#include "train/evaluator.h"

#include <cmath>
#include <limits>
#include <map>

#include "core/failpoint.h"

namespace attnlab {

EvalResult evaluate_windows(TransformerLM& model, const torch::Tensor& x, const torch::Tensor& y, int64_t batch_size,
                            double chars_per_token, const ForwardOptions& forward_options) {
  data::EvalSet set;
  set.x = x, set.y = y, set.chars_per_token = chars_per_token;
  return evaluate_set(model, set, batch_size, forward_options);
}

EvalResult evaluate_set(TransformerLM& model, const data::EvalSet& set, int64_t batch_size,
                        const ForwardOptions& forward_options) {
  namespace F = torch::nn::functional;
  const torch::Tensor &x = set.x, &y = set.y;
  const bool was_training = model->is_training();
  model->eval();
  torch::NoGradGuard no_grad;
  ForwardOptions fwd = forward_options;
  fwd.need_stats = true;

  const int64_t n_layers = model->n_layers();
  const auto n_slices = static_cast<int64_t>(set.slice_names.size());
  EvalResult result;
  result.max_abs_score.assign(n_layers, std::numeric_limits<double>::quiet_NaN());
  // Mixer statistics: window-weighted sums per name and layer (windows all have the same length).
  std::map<std::string, std::vector<torch::Tensor>> stat_sums;
  auto loss_sum = torch::zeros({}, torch::kFloat64);
  auto answer_loss_sum = torch::zeros({}, torch::kFloat64);
  auto hit_loss_sum = torch::zeros({}, torch::kFloat64), other_loss_sum = torch::zeros({}, torch::kFloat64);
  int64_t hit_tokens = 0;
  auto correct = torch::zeros({n_slices > 0 ? n_slices : 1}, torch::kInt64);  // per slice (or all)
  auto answers = torch::zeros({n_slices > 0 ? n_slices : 1}, torch::kInt64);
  for (int64_t begin = 0; begin < x.size(0); begin += batch_size) {
    if (begin > 0) failpoint("eval.batch");
    const int64_t n = std::min(batch_size, x.size(0) - begin);
    auto xb = x.narrow(0, begin, n);  // [b, T]
    auto yb = y.narrow(0, begin, n);  // [b, T]
    LMOutput out = model->forward(xb, fwd);
    auto logits = out.logits.reshape({-1, out.logits.size(-1)});  // [b*T, V]
    loss_sum += F::cross_entropy(logits, yb.reshape(-1), F::CrossEntropyFuncOptions().reduction(torch::kSum))
                    .to(torch::kFloat64);
    if (set.ar_hits.defined()) {
      // a second pass per token: the summed loss above stays bit-identical to runs before the split
      auto token_loss = F::cross_entropy(logits, yb.reshape(-1), F::CrossEntropyFuncOptions().reduction(torch::kNone))
                            .to(torch::kFloat64);                       // [b*T], 0 at ignored targets
      auto hit = set.ar_hits.narrow(0, begin, n).reshape(-1);          // [b*T]
      hit_loss_sum += token_loss.masked_select(hit).sum();
      other_loss_sum += token_loss.masked_select(hit.logical_not()).sum();
      hit_tokens += hit.sum().item<int64_t>();
    }
    if (set.labels.defined()) {
      auto labels = set.labels.narrow(0, begin, n).reshape(-1);  // [b*T]
      auto scored = labels.ne(data::kIgnore);                     // [b*T]
      auto hit = logits.argmax(-1).eq(labels).logical_and(scored);
      answer_loss_sum += F::cross_entropy(logits, labels, F::CrossEntropyFuncOptions().reduction(torch::kSum))
                             .to(torch::kFloat64);
      if (n_slices > 0) {
        auto slice = set.slices.narrow(0, begin, n).reshape(-1).clamp_min(0);  // unscored positions add 0 below
        correct.index_add_(0, slice, hit.to(torch::kInt64));
        answers.index_add_(0, slice, scored.to(torch::kInt64));
      } else {
        correct += hit.sum();
        answers += scored.sum();
      }
    }
    for (int64_t l = 0; l < n_layers; ++l) {
      const auto& score = out.layers[l].stats.max_abs_score;
      if (!score.defined()) continue;
      const double value = score.item<double>();
      double& best = result.max_abs_score[l];
      if (std::isnan(best) || value > best) best = value;
    }
    for (int64_t l = 0; l < n_layers; ++l) {
      for (const auto& [name, value] : out.layers[l].stats.scalars) {
        auto& sums = stat_sums[name];
        sums.resize(n_layers);
        auto weighted = value * static_cast<double>(n);
        sums[l] = sums[l].defined() ? sums[l] + weighted : weighted;
      }
    }
  }
  const double nan = std::numeric_limits<double>::quiet_NaN(), windows = static_cast<double>(x.size(0));
  for (const auto& [name, sums] : stat_sums) {
    std::vector<double>& means = result.mixer_stats[name];
    means.assign(n_layers, nan);
    for (int64_t l = 0; l < n_layers; ++l) {
      if (sums[l].defined()) means[l] = sums[l].item<double>() / windows;
    }
  }
  result.tokens = y.ne(data::kIgnore).sum().item<int64_t>();
  result.loss = loss_sum.item<double>() / static_cast<double>(result.tokens);
  result.ppl = std::exp(result.loss);
  result.bpc = result.loss / std::log(2.0) / set.chars_per_token;
  if (set.ar_hits.defined()) {
    result.ar_hit_share = static_cast<double>(hit_tokens) / static_cast<double>(result.tokens);
    result.ar_hit_loss = hit_tokens ? hit_loss_sum.item<double>() / static_cast<double>(hit_tokens) : nan;
    const int64_t other_tokens = result.tokens - hit_tokens;
    result.other_loss = other_tokens ? other_loss_sum.item<double>() / static_cast<double>(other_tokens) : nan;
  }
  if (set.labels.defined()) {
    result.answers = answers.sum().item<int64_t>();
    result.answer_loss = answer_loss_sum.item<double>() / static_cast<double>(result.answers);
    result.accuracy = static_cast<double>(correct.sum().item<int64_t>()) / static_cast<double>(result.answers);
    for (int64_t s = 0; s < n_slices; ++s) {
      const int64_t count = answers[s].item<int64_t>();
      result.slice_answers.push_back(count);
      result.slice_accuracy.push_back(count ? static_cast<double>(correct[s].item<int64_t>()) / static_cast<double>(count) : nan);
    }
  }
  if (was_training) model->train();
  return result;
}

std::vector<bool> nonstandard_layers(TransformerLM& model) {
  std::vector<bool> skip(model->n_layers());
  for (int64_t l = 0; l < model->n_layers(); ++l) skip[l] = !model->block(l).mixer().traits().is_standard;
  return skip;
}

}  // namespace attnlab
