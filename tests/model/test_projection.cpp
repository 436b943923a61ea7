#include "model/projection.h"
#include "model/rope.h"
#include "support/catch.h"

using attnlab::project;

TEST_CASE("project: one row goes through mv and equals x W^T, values and gradients", "[projection]") {
  auto weight = torch::randn({48, 16}, torch::requires_grad());
  for (auto shape : {std::vector<int64_t>{1, 1, 16}, std::vector<int64_t>{16}, std::vector<int64_t>{3, 5, 16}}) {
    auto x = torch::randn(shape, torch::requires_grad());
    auto y = project(x, weight);
    auto reference = torch::matmul(x, weight.t());  // [..., 48]
    REQUIRE(y.sizes() == reference.sizes());
    CHECK(torch::allclose(y, reference, 1e-5, 1e-6));
    auto gx = torch::autograd::grad({y.sum()}, {x, weight});
    auto ref = torch::autograd::grad({reference.sum()}, {x, weight});
    CHECK(torch::allclose(gx[0], ref[0], 1e-5, 1e-6));
    CHECK(torch::allclose(gx[1], ref[1], 1e-5, 1e-6));
  }
}

TEST_CASE("RoPE on a stacked [2, B, H, T, Dh] tensor equals rotating each half", "[rope]") {
  attnlab::RotaryEmbedding rope(8);
  auto qk = torch::randn({2, 3, 2, 5, 8});
  auto both = rope.apply(qk, 7);
  CHECK(torch::allclose(both[0], rope.apply(qk[0], 7)));
  CHECK(torch::allclose(both[1], rope.apply(qk[1], 7)));
  // positions beyond the first table (256) grow it without changing earlier positions
  auto early = rope.apply(qk[0], 3);
  auto far = rope.apply(qk[0], 1000);
  CHECK(torch::allclose(rope.apply(qk[0], 3), early));
  CHECK(!torch::allclose(far, early));
}
