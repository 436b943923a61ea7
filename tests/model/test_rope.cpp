#include <cmath>

#include "model/rope.h"
#include "support/catch.h"

using attnlab::RotaryEmbedding;

TEST_CASE("RoPE rotates each pair (i, i + Dh/2) by pos * theta^(-2i/Dh)", "[rope]") {
  const int64_t Dh = 8;
  const double theta = 10000.0;
  RotaryEmbedding rope(Dh, theta);
  auto x = torch::randn({1, 1, 5, Dh}, torch::kFloat64);
  auto rotated = rope.apply(x, 3);
  for (int64_t t = 0; t < 5; ++t) {
    for (int64_t i = 0; i < Dh / 2; ++i) {
      const double angle = (3 + t) * std::pow(theta, -2.0 * i / Dh);
      const double x1 = x[0][0][t][i].item<double>(), x2 = x[0][0][t][i + Dh / 2].item<double>();
      CHECK(rotated[0][0][t][i].item<double>() == Approx(x1 * std::cos(angle) - x2 * std::sin(angle)).margin(1e-12));
      CHECK(rotated[0][0][t][i + Dh / 2].item<double>() ==
            Approx(x2 * std::cos(angle) + x1 * std::sin(angle)).margin(1e-12));
    }
  }
}

TEST_CASE("RoPE scores depend only on the relative position", "[rope]") {
  RotaryEmbedding rope(16);
  auto q = torch::randn({1, 1, 1, 16}, torch::kFloat64);
  auto k = torch::randn({1, 1, 1, 16}, torch::kFloat64);
  auto score = [&](int64_t m, int64_t n) {
    return (rope.apply(q, m) * rope.apply(k, n)).sum().item<double>();
  };
  const double reference = score(7, 3);
  CHECK(score(7 + 100, 3 + 100) == Approx(reference).margin(1e-10));
  CHECK(score(7 + 5000, 3 + 5000) == Approx(reference).margin(1e-9));
  CHECK(std::abs(score(7, 4) - reference) > 1e-6);  // a different offset gives a different score
}

TEST_CASE("RoPE at position 0 is the identity and preserves norms", "[rope]") {
  RotaryEmbedding rope(8);
  auto x = torch::randn({2, 3, 4, 8}, torch::kFloat64);
  CHECK(torch::allclose(rope.apply(x.narrow(2, 0, 1), 0), x.narrow(2, 0, 1)));
  CHECK(torch::allclose(rope.apply(x, 11).norm(2, -1), x.norm(2, -1)));
}
