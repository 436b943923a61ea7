#include "studies/budget_eval.h"

#include <chrono>
#include <cmath>

#include "infer/decoder.h"

namespace attnlab {

BudgetEvalResult evaluate_budget(TransformerLM& model, const torch::Tensor& x, const torch::Tensor& y,
                                 int64_t batch_size, const CacheConfig& cache, const std::vector<bool>& skip_layers) {
  data::EvalSet set;
  set.x = x, set.y = y;
  return evaluate_budget(model, set, batch_size, cache, skip_layers);
}

BudgetEvalResult evaluate_budget(TransformerLM& model, const data::EvalSet& set, int64_t batch_size,
                                 const CacheConfig& cache, const std::vector<bool>& skip_layers) {
  torch::NoGradGuard no_grad;
  const torch::Tensor &x = set.x, &y = set.y;
  BudgetEvalResult result;
  result.context_len = x.size(1);
  result.layer_budgets = cache.layer_budgets(model->n_layers(), result.context_len);
  result.budget = cache.policy->evicts() ? cache.budget.nominal(result.context_len) : result.context_len;
  result.ratio = cache.policy->evicts() ? cache.budget.effective_ratio(result.context_len) : 1.0;

  const auto start = std::chrono::steady_clock::now();
  auto loss_sum = torch::zeros({}, torch::kFloat64);
  auto correct = torch::zeros({}, torch::kInt64);
  for (int64_t begin = 0; begin < x.size(0); begin += batch_size) {
    const int64_t n = std::min(batch_size, x.size(0) - begin);
    auto xb = x.narrow(0, begin, n);  // [b, T]
    auto yb = y.narrow(0, begin, n);  // [b, T]
    DecoderOptions options;
    options.skip_layers = skip_layers;
    Decoder decoder(model, cache.policy, result.layer_budgets, options);
    result.has_kv_layers = decoder.has_kv_layers();
    for (int64_t t = 0; t < result.context_len; ++t) {
      auto logits = decoder.step(xb.narrow(1, t, 1));  // [b, V]
      loss_sum += torch::nn::functional::cross_entropy(  // ignored targets (kIgnore) add nothing
                      logits, yb.select(1, t),
                      torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum))
                      .to(torch::kFloat64);
      if (set.labels.defined()) {
        auto labels = set.labels.narrow(0, begin, n).select(1, t);  // [b]
        correct += logits.argmax(-1).eq(labels).logical_and(labels.ne(data::kIgnore)).sum();
      }
      result.kv_bytes = std::max(result.kv_bytes, decoder.memory_bytes() / n);
    }
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  result.tokens = y.ne(data::kIgnore).sum().item<int64_t>();
  result.loss = loss_sum.item<double>() / static_cast<double>(result.tokens);
  result.ppl = std::exp(result.loss);
  if (set.labels.defined()) {
    result.answers = set.labels.ne(data::kIgnore).sum().item<int64_t>();
    result.accuracy = static_cast<double>(correct.item<int64_t>()) / static_cast<double>(result.answers);
  }
  result.tokens_per_s = seconds > 0 ? static_cast<double>(x.numel()) / seconds : 0.0;
  return result;
}

}  // namespace attnlab
