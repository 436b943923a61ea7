#include <torch/torch.h>

#include <cmath>

#include "pruning/interaction.h"
#include "pruning/sparsity.h"
#include "support/catch.h"

using namespace attnlab;

namespace {

/// log I for B = 2, T = 3 by hand: causal entries (1,0), (2,0), (2,1) of each batch element.
torch::Tensor hand_log_keep() {
  auto log_keep = torch::zeros({2, 3, 3}, torch::kFloat64);
  log_keep[0][1][0] = std::log(0.5);
  log_keep[0][2][0] = kLogZero;       // dropped
  log_keep[0][2][1] = std::log(0.25);
  log_keep[1][1][0] = kLogZero;       // dropped
  log_keep[1][2][0] = kLogZero;       // dropped (stays dropped)
  log_keep[1][2][1] = std::log(1e-4);
  log_keep[0][0][2] = -3.0;           // above the diagonal: not context, ignored
  return log_keep;
}

}  // namespace

TEST_CASE("sparsity loss is lambda times the mean of I over causal entries", "[pruning][sparsity]") {
  auto log_keep = hand_log_keep().requires_grad_(true);
  auto loss = sparsity_loss(log_keep, 0.3);
  const double mean = (0.5 + 0.0 + 0.25 + 0.0 + 0.0 + 1e-4) / 6.0;
  CHECK(loss.item<double>() == Approx(0.3 * mean).margin(1e-15));
  loss.backward();
  // d loss / d log I_kj = λ I_kj / 6 on causal entries, 0 elsewhere
  auto expected = torch::zeros({2, 3, 3}, torch::kFloat64);
  expected[0][1][0] = 0.3 * 0.5 / 6;
  expected[0][2][1] = 0.3 * 0.25 / 6;
  expected[1][2][1] = 0.3 * 1e-4 / 6;
  CHECK(torch::allclose(log_keep.grad(), expected, 0, 1e-15));
  // no context, no loss
  auto single = torch::zeros({4, 1, 1}, torch::kFloat64).requires_grad_(true);
  auto empty = sparsity_loss(single, 0.3);
  CHECK(empty.item<double>() == 0.0);
  empty.backward();
  CHECK(torch::all(single.grad() == 0).item<bool>());
}

TEST_CASE("sparsity stats count dropped causal context", "[pruning][sparsity]") {
  auto stats = sparsity_stats(hand_log_keep());
  CHECK(stats.causal_entries == 6);
  CHECK(stats.dropped_fraction == Approx(3.0 / 6.0).margin(1e-15));
  CHECK(stats.mean_keep == Approx((0.5 + 0.25 + 1e-4) / 6.0).margin(1e-15));
  // with a threshold: I <= 1e-3 counts as dropped too
  CHECK(sparsity_stats(hand_log_keep(), std::log(1e-3)).dropped_fraction == Approx(4.0 / 6.0).margin(1e-15));
  auto empty = sparsity_stats(torch::zeros({2, 1, 1}));
  CHECK(empty.causal_entries == 0);
  CHECK(empty.dropped_fraction == 0.0);
  // one entry per layer, in order
  auto layers = sparsity_stats({hand_log_keep(), torch::zeros({1, 4, 4})});
  REQUIRE(layers.size() == 2);
  CHECK(layers[0].dropped_fraction == Approx(0.5).margin(1e-15));
  CHECK(layers[1].dropped_fraction == 0.0);
  CHECK(layers[1].mean_keep == 1.0);
}

TEST_CASE("sparsity stats agree with keep_mask", "[pruning][sparsity]") {
  torch::manual_seed(17);
  ContextInteractionOptions options;
  options.d_model = 8;
  options.rank = 4;
  options.beta_init = 0.0;
  ContextInteraction interaction(options);
  auto log_keep = interaction->forward(3.0 * torch::randn({2, 24, 8}), 6.0);
  auto causal = torch::ones({24, 24}, torch::kBool).tril(-1);
  const double dropped = (~keep_mask(log_keep) & causal).sum().item<double>() / (2.0 * 24 * 23 / 2);
  auto stats = sparsity_stats(log_keep);
  CHECK(stats.dropped_fraction == Approx(dropped).margin(1e-12));
  CHECK(stats.dropped_fraction > 0.0);
  CHECK(stats.dropped_fraction < 1.0);
}
