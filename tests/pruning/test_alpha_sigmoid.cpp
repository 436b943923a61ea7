#include <torch/torch.h>

#include <cmath>
#include <limits>
#include <stdexcept>
#include <vector>

#include "pruning/alpha_sigmoid.h"
#include "entmax_reference.h"
#include "support/catch.h"

using namespace attnlab;

namespace {

const std::vector<double> kAlphas = {1.0, 1.25, 1.5, 2.0, 3.0, 4.0, 8.0};

/// 601 points over 1.5 × the support (α = 1: over [-12, 12]), float64.
torch::Tensor grid(double alpha) {
  const double half = alpha == 1.0 ? 8.0 : alpha_sigmoid_support(alpha);
  return torch::linspace(-1.5 * half, 1.5 * half, 601, torch::kFloat64);
}

torch::Tensor reference(const torch::Tensor& s, double alpha) {
  auto out = torch::empty_like(s);
  auto S = s.accessor<double, 1>();
  auto O = out.accessor<double, 1>();
  for (int64_t i = 0; i < s.size(0); ++i) O[i] = test::entmax_first(S[i], alpha);
  return out;
}

/// d f(s)/ds elementwise by autograd.
torch::Tensor autograd_derivative(const torch::Tensor& s, const std::function<torch::Tensor(torch::Tensor)>& f) {
  auto leaf = s.clone().requires_grad_(true);
  return torch::autograd::grad({f(leaf).sum()}, {leaf})[0];
}

double max_abs(const torch::Tensor& t) { return t.abs().max().item<double>(); }

}  // namespace

TEST_CASE("alpha-sigmoid equals the first component of a numerically solved alpha-entmax", "[pruning][alpha]") {
  for (double alpha : kAlphas) {
    CAPTURE(alpha);
    auto s = torch::cat({grid(alpha), torch::tensor({-50.0, -3.0, -0.7, 0.0, 0.05, 1.3, 40.0}, torch::kFloat64)});
    auto expected = reference(s, alpha);
    CHECK(max_abs(alpha_sigmoid(s, alpha) - expected) < 1e-12);
    // float32 in, float32 out, still accurate to 1e-6
    auto p32 = alpha_sigmoid(s.to(torch::kFloat32), alpha);
    CHECK(p32.scalar_type() == torch::kFloat32);
    CHECK(max_abs(p32.to(torch::kFloat64) - expected) < 1e-6);
  }
  // Bisection path at α that have no closed form, including ones close to 1.
  for (double alpha : {1.001, 1.1, 2.5, 5.5, 16.0}) {
    CAPTURE(alpha);
    auto s = grid(alpha);
    CHECK(max_abs(alpha_sigmoid(s, alpha) - reference(s, alpha)) < 1e-12);
  }
}

TEST_CASE("alpha-sigmoid at alpha = 1 is the sigmoid, and tends to it as alpha -> 1", "[pruning][alpha]") {
  auto s = torch::linspace(-30, 30, 241, torch::kFloat64);
  CHECK(torch::equal(alpha_sigmoid(s, 1.0), torch::sigmoid(s)));
  CHECK(torch::equal(log_alpha_sigmoid(s, 1.0), torch::log_sigmoid(s)));
  auto near = torch::linspace(-6, 6, 121, torch::kFloat64);
  CHECK(max_abs(alpha_sigmoid(near, 1.0 + 1e-7) - torch::sigmoid(near)) < 1e-6);
}

TEST_CASE("alpha-sigmoid is exactly 0 and 1 outside |s| < 1/(alpha-1) and strictly inside within", "[pruning][alpha]") {
  CHECK(std::isinf(alpha_sigmoid_support(1.0)));
  CHECK(alpha_sigmoid_support(3.0) == 0.5);
  CHECK(alpha_sigmoid_support(std::numeric_limits<double>::infinity()) == 0.0);
  for (double alpha : {1.25, 1.5, 2.0, 2.5, 3.0, 4.0, 8.0}) {
    CAPTURE(alpha);
    const double edge = 1.0 / (alpha - 1.0);
    auto outside = torch::tensor({edge * 1.0001, edge + 1e-9, 2 * edge, 1e3, 1e30}, torch::kFloat64);
    for (auto dtype : {torch::kFloat64, torch::kFloat32}) {
      CHECK(torch::all(alpha_sigmoid(outside.to(dtype), alpha) == 1).item<bool>());
      CHECK(torch::all(alpha_sigmoid(-outside.to(dtype), alpha) == 0).item<bool>());
    }
    auto inside = torch::tensor({edge * 0.999, edge * 0.5, 1e-6, 0.0}, torch::kFloat64);
    auto p = torch::cat({alpha_sigmoid(inside, alpha), alpha_sigmoid(-inside, alpha)});
    CHECK(torch::all((p > 0) & (p < 1)).item<bool>());
    CHECK(alpha_sigmoid(torch::zeros({1}, torch::kFloat64), alpha).item<double>() == 0.5);
    // log p: exactly the floor where p = 0, exactly 0 where p = 1
    CHECK(torch::all(log_alpha_sigmoid(-outside, alpha) == kLogZero).item<bool>());
    CHECK(torch::all(log_alpha_sigmoid(outside, alpha) == 0).item<bool>());
  }
  // At the edge itself where 1/(α-1) is exact.
  for (double alpha : {1.25, 1.5, 2.0, 3.0}) {
    const double edge = 1.0 / (alpha - 1.0);
    auto at_edge = alpha_sigmoid(torch::tensor({-edge, edge}, torch::kFloat64), alpha);
    CHECK(at_edge[0].item<double>() == 0.0);
    CHECK(at_edge[1].item<double>() == 1.0);
  }
  // alpha = inf: the hard step
  auto step = alpha_sigmoid(torch::tensor({-1.0, -1e-12, 0.0, 1e-12, 2.0}, torch::kFloat64),
                            std::numeric_limits<double>::infinity());
  CHECK(torch::equal(step, torch::tensor({0.0, 0.0, 0.5, 1.0, 1.0}, torch::kFloat64)));
}

TEST_CASE("alpha-sigmoid is odd around 1/2 and increasing", "[pruning][alpha]") {
  for (double alpha : kAlphas) {
    CAPTURE(alpha);
    auto s = grid(alpha);
    auto p = alpha_sigmoid(s, alpha);
    CHECK(max_abs(p + alpha_sigmoid(-s, alpha) - 1.0) < 1e-15);
    CHECK(torch::all(p.diff() >= 0).item<bool>());
  }
}

TEST_CASE("alpha-sigmoid gradients match central differences in float64", "[pruning][alpha]") {
  const double h = 1e-6;
  for (double alpha : {1.0, 1.25, 1.5, 2.0, 2.5, 3.0, 4.0, 5.5, 8.0}) {
    CAPTURE(alpha);
    const double half = alpha == 1.0 ? 6.0 : alpha_sigmoid_support(alpha);
    auto s = torch::tensor({-0.99, -0.9, -0.5, -0.1, 0.0, 0.3, 0.77, 0.95, 0.99}, torch::kFloat64) * half;
    for (bool log_output : {false, true}) {
      CAPTURE(log_output);
      auto f = [&](const torch::Tensor& t) { return log_output ? log_alpha_sigmoid(t, alpha) : alpha_sigmoid(t, alpha); };
      auto analytic = autograd_derivative(s, f);
      auto numeric = (f(s + h) - f(s - h)) / (2 * h);
      CAPTURE(analytic, numeric);
      CHECK(torch::allclose(analytic, numeric, 1e-6, 1e-7));
      CHECK(torch::all(analytic > 0).item<bool>());  // strictly increasing inside the support
    }
  }
  // Closed-form derivatives: 1/2 for sparsemax, 1 for α = 3, inside the support.
  auto s = torch::tensor({-0.4, 0.1, 0.45}, torch::kFloat64);
  auto f2 = [](const torch::Tensor& t) { return alpha_sigmoid(t, 2.0); };
  auto f3 = [](const torch::Tensor& t) { return alpha_sigmoid(t, 3.0); };
  CHECK(torch::allclose(autograd_derivative(s, f2), torch::full({3}, 0.5, torch::kFloat64), 0, 1e-15));
  CHECK(torch::allclose(autograd_derivative(s, f3), torch::ones({3}, torch::kFloat64), 0, 1e-15));
}

TEST_CASE("alpha-sigmoid gradients are zero when saturated and finite everywhere", "[pruning][alpha]") {
  const double inf = std::numeric_limits<double>::infinity();
  for (double alpha : {1.0, 1.25, 1.5, 2.0, 3.0, 4.0, 8.0, inf}) {
    CAPTURE(alpha);
    for (auto dtype : {torch::kFloat64, torch::kFloat32}) {
      auto s = torch::cat({torch::linspace(-3, 3, 2001, torch::kFloat64),
                           torch::tensor({-1e30, -1e4, -1.0 / 7, 1.0 / 7, 1e4, 1e30}, torch::kFloat64)})
                   .to(dtype);
      auto f = [&](const torch::Tensor& t) { return alpha_sigmoid(t, alpha); };
      auto g = [&](const torch::Tensor& t) { return log_alpha_sigmoid(t, alpha); };
      auto dp = autograd_derivative(s, f), dlog = autograd_derivative(s, g);
      CHECK(torch::all(torch::isfinite(dp)).item<bool>());
      CHECK(torch::all(torch::isfinite(dlog)).item<bool>());
      CHECK(torch::all(torch::isfinite(log_alpha_sigmoid(s, alpha))).item<bool>());
      if (alpha > 1.0) {
        auto p = alpha_sigmoid(s, alpha);
        auto saturated = (p == 0) | (p == 1);
        CHECK(torch::all(dp.masked_select(saturated) == 0).item<bool>());
        CHECK(torch::all(dlog.masked_select(saturated) == 0).item<bool>());
      }
    }
  }
}

TEST_CASE("alpha-sigmoid rejects alpha below 1", "[pruning][alpha]") {
  auto s = torch::zeros({2});
  CHECK_THROWS_AS(alpha_sigmoid(s, 0.5), std::invalid_argument);
  CHECK_THROWS_AS(log_alpha_sigmoid(s, std::nan("")), std::invalid_argument);
  CHECK_THROWS(alpha_sigmoid(torch::zeros({2}, torch::kInt64), 2.0));
}

TEST_CASE("float32 scores: the shorter bisection matches the float64 one", "[alpha_sigmoid]") {
  auto s = torch::linspace(-3.0, 3.0, 20001, torch::kFloat64);
  for (double alpha : {1.0001, 1.05, 1.3, 1.7, 2.5, 3.5, 5.0, 7.9}) {
    INFO("alpha " << alpha);
    auto exact = alpha_sigmoid(s, alpha);                                          // 52 halvings
    auto fast = alpha_sigmoid(s.to(torch::kFloat32), alpha).to(torch::kFloat64);  // 30 halvings
    CHECK((fast - exact).abs().max().item<double>() < 1e-6);
    auto log_exact = log_alpha_sigmoid(s, alpha);
    auto log_fast = log_alpha_sigmoid(s.to(torch::kFloat32), alpha).to(torch::kFloat64);
    auto inside = log_exact > -8.0;  // p > 3e-4: a 2^-32 absolute error is a small relative one
    CHECK((log_fast - log_exact).masked_select(inside).abs().max().item<double>() < 1e-4);
    CHECK(torch::equal(log_fast <= kLogZero, log_exact <= kLogZero));  // the same entries dropped
  }
}

TEST_CASE("the tabulated solver matches the reference at random scores, edges included, as alpha changes",
          "[pruning][alpha]") {
  torch::manual_seed(11);
  for (int round = 0; round < 2; ++round) {  // the second round rebuilds each table after another alpha's
    for (double alpha : {1.01, 1.3, 1.7, 2.05, 2.5, 8.0, 16.0}) {
      CAPTURE(alpha, round);
      const double half = alpha_sigmoid_support(alpha);
      // uniform over the support, and packed within 1e-3 of its edges, where q is tiny
      auto u = torch::rand({4000}, torch::kFloat64);
      auto s = torch::cat({(2.0 * u - 1.0) * half, half * (1.0 - 1e-3 * u), -half * (1.0 - 1e-3 * u)});
      auto expected = reference(s, alpha);
      CHECK(max_abs(alpha_sigmoid(s, alpha) - expected) < 1e-12);
      // log p relatively exact wherever p is not tiny (the reference's own error grows below)
      auto usable = expected > 1e-6;
      auto log_p = log_alpha_sigmoid(s, alpha).masked_select(usable);
      CHECK(max_abs(log_p - expected.masked_select(usable).log()) < 1e-9);
    }
  }
}

TEST_CASE("the bisection (the solver off the CPU) matches the reference too", "[pruning][alpha]") {
  alpha_sigmoid_force_bisection(true);
  for (double alpha : {1.001, 1.1, 1.25, 2.5, 5.5, 8.0, 16.0}) {
    CAPTURE(alpha);
    auto s = grid(alpha);
    auto expected = reference(s, alpha);
    CHECK(max_abs(alpha_sigmoid(s, alpha) - expected) < 1e-12);
    CHECK(max_abs(alpha_sigmoid(s.to(torch::kFloat32), alpha).to(torch::kFloat64) - expected) < 1e-6);
  }
  alpha_sigmoid_force_bisection(false);
}

TEST_CASE("the fused CPU pass gives the tensor route's values and gradients", "[pruning][alpha]") {
  // The tensor route (bisection, the backward's pow formulas) is what runs off the CPU; the fused
  // pass solves per entry and stores its derivative in the forward.
  torch::manual_seed(7);
  for (double alpha : {1.05, 1.25, 1.5, 1.8, 2.0, 2.5, 3.0, 4.0, 6.0}) {
    CAPTURE(alpha);
    const double half = alpha_sigmoid_support(alpha);
    auto u = torch::rand({2000}, torch::kFloat64);
    auto s = torch::cat({(3.0 * u - 1.5) * half, half * (1.0 - 1e-3 * u), torch::zeros({1}, torch::kFloat64)});
    for (bool log_output : {false, true}) {
      CAPTURE(log_output);
      auto f = [&](const torch::Tensor& t) { return log_output ? log_alpha_sigmoid(t, alpha) : alpha_sigmoid(t, alpha); };
      auto fused = f(s);
      auto fused_grad = autograd_derivative(s, f);
      alpha_sigmoid_force_bisection(true);
      auto tensor = f(s);
      auto tensor_grad = autograd_derivative(s, f);
      alpha_sigmoid_force_bisection(false);
      auto usable = alpha_sigmoid(s, alpha) > 1e-6;  // where log q and 1/q are well conditioned
      CHECK(max_abs((fused - tensor).masked_select(usable)) < 1e-12);
      CHECK(torch::allclose(fused_grad.masked_select(usable), tensor_grad.masked_select(usable), 1e-8, 1e-12));
      CHECK(torch::equal(fused_grad == 0, tensor_grad == 0));  // the same saturated entries
      // float32 in: the same pass solved to 1e-9 relative, rounded once, so at most one float32
      // step (2^-23 relative) from the float64 result rounded; its gradient (float64) to 1e-8
      auto s32 = s.to(torch::kFloat32);
      auto fused32 = f(s32);
      CHECK(fused32.scalar_type() == torch::kFloat32);
      auto rounded = f(s32.to(torch::kFloat64)).to(torch::kFloat32).to(torch::kFloat64);
      auto off = (fused32.to(torch::kFloat64) - rounded).abs();
      CHECK(torch::all(off <= rounded.abs() * std::ldexp(1.0, -23)).item<bool>());
      CHECK(off.gt(0).sum().item<int64_t>() < s.numel() / 100);  // and almost everywhere equal
      CHECK(torch::allclose(autograd_derivative(s32, f).to(torch::kFloat64),
                            autograd_derivative(s32.to(torch::kFloat64), f), 1e-6, 1e-12));
    }
  }
}
