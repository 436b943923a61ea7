#include <torch/torch.h>

#include <cmath>
#include <vector>

#include "entmax_reference.h"
#include "pruning/interaction.h"
#include "pruning/sparsity.h"
#include "support/catch.h"

using namespace attnlab;

namespace {

/// A float64 interaction with rank 4 on d_model 8 whose scores spread around β.
ContextInteraction make_interaction(double beta, uint64_t seed) {
  torch::manual_seed(seed);
  ContextInteractionOptions options;
  options.d_model = 8;
  options.rank = 4;
  options.beta_init = beta;
  ContextInteraction interaction(options);
  interaction->to(torch::kFloat64);
  return interaction;
}

/// I [B, T, T] by the paper's definition, with plain loops over doubles: s from the weights,
/// p from the independent entmax reference, I_kj = Π_{n=j+1..k} p_nj.
torch::Tensor naive_keep(const torch::Tensor& x, ContextInteraction& m, double alpha) {
  const int64_t B = x.size(0), T = x.size(1), C = x.size(2), r = m->options().rank;
  auto X = x.accessor<double, 3>();
  auto Wq = m->q_int()->weight.accessor<double, 2>();  // [r, C]
  auto Wk = m->k_int()->weight.accessor<double, 2>();  // [r, C]
  const double beta = m->beta().item<double>();
  auto keep = torch::ones({B, T, T}, torch::kFloat64);
  auto I = keep.accessor<double, 3>();
  for (int64_t b = 0; b < B; ++b) {
    std::vector<std::vector<double>> q(T, std::vector<double>(r)), k(T, std::vector<double>(r));
    for (int64_t t = 0; t < T; ++t) {
      for (int64_t i = 0; i < r; ++i) {
        for (int64_t c = 0; c < C; ++c) q[t][i] += Wq[i][c] * X[b][t][c], k[t][i] += Wk[i][c] * X[b][t][c];
      }
    }
    for (int64_t kq = 0; kq < T; ++kq) {
      for (int64_t j = 0; j < kq; ++j) {
        double product = 1.0;
        for (int64_t n = j + 1; n <= kq; ++n) {
          double dot = 0;
          for (int64_t i = 0; i < r; ++i) dot += q[n][i] * k[j][i];
          product *= test::entmax_first(dot / std::sqrt(static_cast<double>(r)) + beta, alpha);
        }
        I[b][kq][j] = product;
      }
    }
  }
  return keep;
}

}  // namespace

TEST_CASE("interaction log I equals the paper's cumulative product computed naively", "[pruning][interaction]") {
  for (double alpha : {1.0, 1.5, 2.0, 3.3, 8.0}) {
    CAPTURE(alpha);
    auto interaction = make_interaction(0.2, 3);
    auto x = 4.0 * torch::randn({2, 9, 8}, torch::kFloat64);
    auto log_keep = interaction->forward(x, alpha);
    REQUIRE(log_keep.sizes() == torch::IntArrayRef({2, 9, 9}));
    auto expected = naive_keep(x, interaction, alpha);
    CHECK(torch::allclose(log_keep.exp(), expected, 1e-9, 1e-14));
    // hard rule: kept exactly where the product is positive
    CHECK(torch::equal(keep_mask(log_keep), expected > 0));
    if (alpha >= 2.0) {
      // the test is not vacuous: something is dropped and something survives in the context
      auto causal = torch::ones({9, 9}, torch::kBool).tril(-1);
      CHECK(torch::any((expected == 0) & causal).item<bool>());
      CHECK(torch::any((expected > 0) & causal).item<bool>());
    }
  }
}

TEST_CASE("interaction: a token never drops itself and once dropped stays dropped", "[pruning][interaction]") {
  for (double alpha : {1.0, 1.25, 2.0, 4.0, 8.0}) {
    for (double beta : {-1.0, 0.0, 2.0}) {
      CAPTURE(alpha, beta);
      auto interaction = make_interaction(beta, 5);
      auto log_keep = interaction->forward(3.0 * torch::randn({3, 16, 8}, torch::kFloat64), alpha);
      CHECK(torch::all(torch::isfinite(log_keep)).item<bool>());
      CHECK(torch::all(log_keep.triu() == 0).item<bool>());                    // I_kj = 1 for j >= k
      CHECK(torch::all(log_keep >= kLogZero).item<bool>());
      CHECK(torch::all(log_keep.diff(1, 1) <= 0).item<bool>());                // non-increasing down each key column
      auto keep = keep_mask(log_keep);
      auto later = keep.narrow(1, 1, 15), earlier = keep.narrow(1, 0, 15);
      CHECK(!torch::any(later & ~earlier).item<bool>());                       // dropped at k => dropped at k+1
      CHECK(torch::all(keep.diagonal(0, 1, 2)).item<bool>());
      CHECK(torch::all(log_keep.masked_select(~keep) == kLogZero).item<bool>());
    }
  }
}

TEST_CASE("cumulative_log_keep sums votes of later queries only, and clamps at the floor", "[pruning][interaction]") {
  // log p for T = 3 (query n, key j); entries with j >= n must be ignored.
  auto log_p = torch::tensor({{7.0, 7.0, 7.0}, {-1.0, 7.0, 7.0}, {-2.0, -0.5, 7.0}}, torch::kFloat64);
  auto expected = torch::tensor({{0.0, 0.0, 0.0}, {-1.0, 0.0, 0.0}, {-3.0, -0.5, 0.0}}, torch::kFloat64);
  CHECK(torch::equal(cumulative_log_keep(log_p), expected));
  auto floored = cumulative_log_keep(log_p * 6000.0);  // -6000 then -12000 -> clamped
  CHECK(floored[2][0].item<double>() == kLogZero);
  CHECK(floored[1][0].item<double>() == -6000.0);
}

TEST_CASE("interaction with a large beta keeps everything", "[pruning][interaction]") {
  for (double alpha : {1.0, 2.0, 8.0}) {
    CAPTURE(alpha);
    auto interaction = make_interaction(50.0, 7);
    auto log_keep = interaction->forward(torch::randn({2, 12, 8}, torch::kFloat64), alpha);
    auto stats = sparsity_stats(log_keep);
    CHECK(stats.dropped_fraction == 0.0);
    CHECK(stats.mean_keep > 1.0 - 1e-12);
    CHECK(stats.causal_entries == 2 * 12 * 11 / 2);
    if (alpha > 1.0) CHECK(torch::all(log_keep == 0).item<bool>());
  }
  // and a large negative beta drops all of the context at α > 1
  auto interaction = make_interaction(-50.0, 7);
  auto log_keep = interaction->forward(torch::randn({2, 12, 8}, torch::kFloat64), 8.0);
  CHECK(sparsity_stats(log_keep).dropped_fraction == 1.0);
  CHECK(sparsity_loss(log_keep, 0.3).item<double>() == 0.0);
}

TEST_CASE("interaction gradients are finite for every alpha, even with much of the context dropped",
          "[pruning][interaction]") {
  for (double alpha : {1.0, 1.25, 1.5, 2.0, 4.0, 6.5, 8.0}) {
    for (double beta : {-1.0, 0.5, 2.0}) {
      CAPTURE(alpha, beta);
      torch::manual_seed(11);
      ContextInteractionOptions options;
      options.d_model = 16;
      options.rank = 8;
      options.beta_init = beta;
      ContextInteraction interaction(options);  // float32, as in training
      auto x = (3.0 * torch::randn({2, 20, 16})).requires_grad_(true);
      auto log_keep = interaction->forward(x, alpha);                 // [B, T, T]
      auto logits = torch::randn({2, 4, 20, 20}) + log_keep.unsqueeze(1);  // [B, H, T, T]
      auto future = torch::ones({20, 20}, torch::kBool).triu(1);
      auto weights = torch::softmax(logits.masked_fill(future, -INFINITY), -1);
      auto loss = (weights * torch::randn({2, 4, 20, 20})).sum() + sparsity_loss(log_keep, 0.3);
      loss.backward();
      CHECK(torch::all(torch::isfinite(log_keep)).item<bool>());
      CHECK(torch::all(torch::isfinite(weights)).item<bool>());
      CHECK(torch::all(torch::isfinite(x.grad())).item<bool>());
      for (auto& p : interaction->parameters()) CHECK(torch::all(torch::isfinite(p.grad())).item<bool>());
      CHECK(interaction->beta().grad().item<double>() != 0.0);
    }
  }
}

TEST_CASE("interaction beta gradient matches central differences", "[pruning][interaction]") {
  for (double alpha : {1.0, 1.5, 2.5, 5.0}) {
    CAPTURE(alpha);
    auto interaction = make_interaction(0.3, 13);
    auto x = torch::randn({2, 10, 8}, torch::kFloat64);
    auto w = torch::randn({2, 10, 10}, torch::kFloat64);
    auto loss = [&] { return (interaction->forward(x, alpha).exp() * w).sum(); };
    auto analytic = torch::autograd::grad({loss()}, {interaction->beta()})[0].item<double>();
    const double h = 1e-6;
    torch::NoGradGuard no_grad;
    auto& beta = interaction->beta();
    beta.add_(h);
    const double up = loss().item<double>();
    beta.sub_(2 * h);
    const double down = loss().item<double>();
    beta.add_(h);
    CHECK(analytic == Approx((up - down) / (2 * h)).epsilon(1e-6));
  }
}
