// Budgeted evaluation: at ratio 1 the full policy equals the parallel evaluation; at ratio 5 every
// evicting policy holds at most 22% of the full cache's bytes.
#include <cmath>

#include "config/yaml_loader.h"
#include "studies/budget_eval.h"
#include "eviction/persistence.h"
#include "infer_support.h"
#include "support/catch.h"
#include "support/tiny_model.h"
#include "train/evaluator.h"

using namespace attnlab;

namespace {

CacheConfig cache_config(const std::string& yaml) {
  register_builtin_variants();
  return CacheConfig::from_config(cfg::parse_yaml(yaml, "test.yaml"));
}

/// Windows x, y [N, T] of a random token stream.
std::pair<torch::Tensor, torch::Tensor> windows(int64_t n, int64_t T, uint64_t seed) {
  torch::manual_seed(seed);
  auto stream = torch::randint(0, 50, {n, T + 1}, torch::kInt64);
  return {stream.narrow(1, 0, T), stream.narrow(1, 1, T)};
}

}  // namespace

TEST_CASE("budget eval with the full policy at ratio 1 equals the parallel eval", "[budget_eval]") {
  TransformerLM model = testing::tiny_model("softmax", 1, 2);
  auto [x, y] = windows(5, 24, 2);
  const EvalResult parallel = evaluate_windows(model, x, y, 2, 1.0);
  const BudgetEvalResult budgeted = evaluate_budget(model, x, y, 2, cache_config("{name: full}"));
  CHECK(std::abs(budgeted.loss - parallel.loss) < 1e-5);
  CHECK(budgeted.ppl == Approx(std::exp(budgeted.loss)));
  CHECK(budgeted.tokens == 5 * 24);
  CHECK(budgeted.budget == 24);
  CHECK(budgeted.ratio == 1.0);
  CHECK(budgeted.kv_bytes == 2 * 4 * 24 * 16 * 4);  // layers * H * T * (Dh k + v) * float, per sequence
  CHECK(budgeted.tokens_per_s > 0);
  // any policy at ratio 1 never evicts: the same loss
  const BudgetEvalResult window = evaluate_budget(model, x, y, 2, cache_config("{name: window, ratio: 1}"));
  CHECK(std::abs(window.loss - parallel.loss) < 1e-5);
}

TEST_CASE("at ratio 5 every policy holds at most 22% of the full cache", "[budget_eval]") {
  // every registered evicting policy at its default options (a budget of 13 exceeds their protected tokens)
  TransformerLM model = testing::tiny_model("softmax", 2, 2);
  auto [x, y] = windows(3, 64, 4);
  const BudgetEvalResult full = evaluate_budget(model, x, y, 3, cache_config("{name: full}"));
  for (const auto& entry : testing::registered_policies(/*evicting_only=*/true)) {
    const std::string yaml = "{name: " + entry.first + ", ratio: 5}";
    INFO(yaml);
    const BudgetEvalResult r = evaluate_budget(model, x, y, 3, cache_config(yaml));
    CHECK(r.budget == 13);  // ceil(64 / 5)
    CHECK(r.ratio == 5.0);
    CHECK(r.kv_bytes <= 0.22 * static_cast<double>(full.kv_bytes));
    CHECK(r.kv_bytes == 2 * 4 * 13 * 16 * 4);
    CHECK(std::isfinite(r.loss));
    CHECK(r.loss != full.loss);  // evicting changes the predictions
  }
  // a token budget instead of a ratio
  const BudgetEvalResult tokens = evaluate_budget(model, x, y, 3, cache_config("{name: window, budget: 16}"));
  CHECK(tokens.budget == 16);
  CHECK(tokens.ratio == 4.0);
}

TEST_CASE("budget eval is deterministic, batch size aside", "[budget_eval]") {
  TransformerLM model = testing::tiny_model("softmax", 3, 2);
  auto [x, y] = windows(4, 20, 5);
  const CacheConfig h2o = cache_config("{name: h2o, ratio: 4}");
  const double a = evaluate_budget(model, x, y, 4, h2o).loss;
  CHECK(evaluate_budget(model, x, y, 4, h2o).loss == a);
  CHECK(std::abs(evaluate_budget(model, x, y, 1, h2o).loss - a) < 1e-5);
}

TEST_CASE("persistence ratios are in [0, 1], one per layer", "[persistence]") {
  TransformerLM model = testing::tiny_model("softmax", 1, 3);
  auto [x, y] = windows(4, 16, 6);
  const auto ratios = persistence_ratios(model, x, 2);
  REQUIRE(ratios.size() == 3);
  for (double r : ratios) {
    CHECK(r >= 0.0);
    CHECK(r <= 1.0);
  }
}
