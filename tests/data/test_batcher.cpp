#include <catch2/catch.hpp>

#include <numeric>
#include <set>

#include "data/batcher.h"
#include "data_test_util.h"

using namespace attnlab::data;
using attnlab::data::test::user_error_of;

namespace {
std::vector<int32_t> iota_tokens(int32_t n) {
  std::vector<int32_t> tokens(static_cast<size_t>(n));
  std::iota(tokens.begin(), tokens.end(), 0);
  return tokens;
}
}  // namespace

TEST_CASE("batcher: shapes, dtype and y = x shifted by one", "[data][batcher]") {
  const auto tokens = iota_tokens(1000);
  auto [x, y] = sample_batch(tokens, 8, 16, 42, 0);
  CHECK(x.sizes() == torch::IntArrayRef({8, 16}));
  CHECK(y.sizes() == torch::IntArrayRef({8, 16}));
  CHECK(x.dtype() == torch::kInt64);
  CHECK(torch::equal(y, x + 1));  // consecutive tokens
  CHECK(torch::equal(x.slice(1, 1), y.slice(1, 0, 15)));
  CHECK(x.min().item<int64_t>() >= 0);
  CHECK(y.max().item<int64_t>() <= 999);
}

TEST_CASE("batcher: deterministic from (seed, step), different across steps and seeds", "[data][batcher]") {
  const auto tokens = iota_tokens(5000);
  auto [x1, y1] = sample_batch(tokens, 4, 32, 7, 10);
  auto [x2, y2] = sample_batch(tokens, 4, 32, 7, 10);
  CHECK(torch::equal(x1, x2));
  CHECK(torch::equal(y1, y2));
  CHECK_FALSE(torch::equal(x1, sample_batch(tokens, 4, 32, 7, 11).first));
  CHECK_FALSE(torch::equal(x1, sample_batch(tokens, 4, 32, 8, 10).first));

  // starts cover the whole range, including the last possible window
  const auto small = iota_tokens(20);
  std::set<int64_t> starts;
  for (int64_t step = 0; step < 200; ++step) {
    auto x = sample_batch(small, 2, 10, 1, step).first;
    starts.insert(x[0][0].item<int64_t>());
    starts.insert(x[1][0].item<int64_t>());
  }
  CHECK(starts.size() == 10);  // 0..9: every start with 11 tokens available
}

TEST_CASE("batcher: a split shorter than seq_len + 1 is a UserError", "[data][batcher]") {
  const auto tokens = iota_tokens(16);
  CHECK(user_error_of([&] { sample_batch(tokens, 2, 16, 0, 0); }) ==
        "the train split has 16 tokens, fewer than seq_len + 1 = 17: use a larger corpus or a shorter context");
  CHECK_THAT(user_error_of([&] { validation_windows(tokens, 16, 4); }), Catch::StartsWith("the validation split has 16"));
  CHECK_NOTHROW(sample_batch(tokens, 2, 15, 0, 0));
}

TEST_CASE("batcher: validation windows are fixed, non-overlapping and evenly spaced", "[data][batcher]") {
  const auto tokens = iota_tokens(1000);
  auto [x, y] = validation_windows(tokens, 15, 10);
  REQUIRE(x.sizes() == torch::IntArrayRef({10, 15}));
  CHECK(torch::equal(y, x + 1));
  CHECK(x[0][0].item<int64_t>() == 0);
  CHECK(y[9][14].item<int64_t>() == 999);  // the last window ends at the last token
  for (int64_t i = 1; i < 10; ++i) {
    const int64_t gap = x[i][0].item<int64_t>() - x[i - 1][0].item<int64_t>();
    CHECK(gap >= 16);
    CHECK(gap <= 110);
  }
  auto all = validation_windows(tokens, 15, 1000).first;
  CHECK(all.size(0) == 1000 / 16);
  CHECK(torch::equal(validation_windows(tokens, 15, 10).first, x));
  CHECK(validation_windows(iota_tokens(16), 15, 5).first.size(0) == 1);
}
