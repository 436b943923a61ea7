// The AR-hit slicer against a naive quadratic scan.
#include <catch2/catch.hpp>

#include "data/ar_hits.h"
#include "data/task.h"

using namespace attnlab::data;

namespace {
/// Position t is a hit when an earlier position s has the same (x, y) bigram; O(T^2) per row.
bool naive_hit(const torch::Tensor& x, const torch::Tensor& y, int64_t n, int64_t t) {
  if (y[n][t].item<int64_t>() == kIgnore) return false;
  for (int64_t s = 0; s < t; ++s)
    if (y[n][s].item<int64_t>() != kIgnore && x[n][s].item<int64_t>() == x[n][t].item<int64_t>() &&
        y[n][s].item<int64_t>() == y[n][t].item<int64_t>())
      return true;
  return false;
}
}  // namespace

TEST_CASE("AR hits: a hand-made window", "[data][ar_hits]") {
  // text "abcab|cab": bigrams ab bc ca ab bc ca ab -> hits from the second "ab" on
  auto tokens = torch::tensor({0, 1, 2, 0, 1, 2, 0, 1}, torch::kInt64);
  auto x = tokens.narrow(0, 0, 7).unsqueeze(0), y = tokens.narrow(0, 1, 7).unsqueeze(0);
  auto hits = ar_hit_mask(x, y);
  CHECK(hits.sizes() == x.sizes());
  CHECK(torch::equal(hits[0], torch::tensor({false, false, false, true, true, true, true})));
  // the same bigram in another window does not count: hits are per row
  auto two = ar_hit_mask(torch::cat({x, x}), torch::cat({y, y}));
  CHECK(torch::equal(two[0], two[1]));
}

TEST_CASE("AR hits equal a naive scan on random windows, with ignored targets", "[data][ar_hits]") {
  torch::manual_seed(3);
  for (int64_t vocab : {3, 8, 300}) {
    auto x = torch::randint(vocab, {5, 40}, torch::kInt64);
    auto y = torch::randint(vocab, {5, 40}, torch::kInt64);
    y.masked_fill_(torch::rand({5, 40}).lt(0.2), kIgnore);  // an ignored target is neither a hit nor a precedent
    auto hits = ar_hit_mask(x, y);
    int64_t count = 0;
    for (int64_t n = 0; n < 5; ++n)
      for (int64_t t = 0; t < 40; ++t) {
        REQUIRE(hits[n][t].item<bool>() == naive_hit(x, y, n, t));
        count += hits[n][t].item<bool>();
      }
    if (vocab == 3) CHECK(count > 50);   // the comparison covers many hits ...
    if (vocab == 300) CHECK(count < 10);  // ... and a vocabulary where they are rare
  }
}
