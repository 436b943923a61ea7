// LayerCache: append, keep (gathers keys, values, positions and bookkeeping together), the token
// history ring buffer, clear, byte counts and the cache causal mask.
#include "infer/layer_cache.h"
#include "infer_support.h"
#include "support/catch.h"

using namespace attnlab;
using testing::held;
using testing::positional_cache;

TEST_CASE("append fills slots in order and tracks the next position", "[layer_cache]") {
  LayerCache cache(8);
  CHECK_FALSE(cache.allocated());
  auto k = torch::ones({2, 3, 4, 5});
  cache.append(k, k * 2, 0);
  cache.append(k.narrow(2, 0, 1) * 3, k.narrow(2, 0, 1) * 6, 4);
  REQUIRE(cache.size() == 5);
  CHECK(cache.next_position() == 5);
  CHECK(cache.keys().sizes() == torch::IntArrayRef({2, 3, 5, 5}));
  CHECK(held(cache, 1, 2) == std::vector<int64_t>{0, 1, 2, 3, 4});
  CHECK(cache.keys()[1][2][4][0].item<float>() == 3.0f);
  CHECK(cache.values()[0][0][4][0].item<float>() == 6.0f);
  CHECK_FALSE(cache.token_scores().defined());  // no policy reserved a score
  // bytes: B * H * (Dh_k + Dh_v) * 4 bytes per token; bookkeeping: the int64 positions only
  CHECK(cache.kv_bytes() == 2 * 3 * 10 * 4 * 5);
  CHECK(cache.bookkeeping_bytes() == 2 * 3 * 8 * 5);
  CHECK(cache.allocated_bytes() == 2 * 3 * 10 * 4 * 8);
  CHECK_THROWS_AS(cache.append(torch::ones({2, 3, 4, 5}), torch::ones({2, 3, 4, 5}), 5), std::logic_error);
}

TEST_CASE("keep gathers per head, in the given order, and keeps the buffers", "[layer_cache]") {
  CHECK_THROWS_AS(positional_cache(6, 1, 2).reserve_token_scores(), std::logic_error);  // after allocation
  LayerCache cache(64);
  cache.reserve_token_scores();
  auto pos = torch::arange(6, torch::kFloat32).view({1, 1, 6, 1}).expand({1, 2, 6, 2}).contiguous();  // [1, 2, 6, 2]
  cache.append(pos, pos * 10.0, 0);
  CHECK(cache.token_scores().sizes() == torch::IntArrayRef({1, 2, 6}));
  CHECK(cache.token_scores().abs().sum().item<float>() == 0.0f);
  cache.token_scores().copy_(torch::arange(6, torch::kFloat32).view({1, 1, 6}).expand({1, 2, 6}) * 0.5);
  const void* storage = cache.keys().data_ptr();
  auto index = torch::tensor({0, 2, 5, 1, 3, 4}, torch::kInt64).view({1, 2, 3});  // head 0: 0,2,5; head 1: 1,3,4
  cache.keep(index);
  REQUIRE(cache.size() == 3);
  CHECK(held(cache, 0, 0) == std::vector<int64_t>{0, 2, 5});
  CHECK(held(cache, 0, 1) == std::vector<int64_t>{1, 3, 4});
  CHECK(torch::equal(cache.keys().select(-1, 0), cache.positions().to(torch::kFloat32)));
  CHECK(torch::equal(cache.values().select(-1, 1), cache.positions().to(torch::kFloat32) * 10));
  CHECK(torch::equal(cache.token_scores(), cache.positions().to(torch::kFloat32) * 0.5));
  CHECK(cache.keys().data_ptr() == storage);
  CHECK(cache.next_position() == 6);  // eviction does not move the sequence position
  // appending after a keep goes to the slot after the kept ones, with fresh bookkeeping
  cache.append(torch::full({1, 2, 1, 2}, 6.0f), torch::full({1, 2, 1, 2}, 60.0f), 6);
  CHECK(held(cache, 0, 1) == std::vector<int64_t>{1, 3, 4, 6});
  CHECK(cache.token_scores()[0][1][3].item<float>() == 0.0f);
  CHECK(cache.keys().data_ptr() == storage);
}

TEST_CASE("the token history is zeroed on append and gathered by keep", "[layer_cache]") {
  LayerCache cache(8);
  cache.reserve_token_history(3);
  auto k = torch::zeros({1, 1, 4, 2});
  cache.append(k, k, 0);
  REQUIRE(cache.token_history().sizes() == torch::IntArrayRef({1, 1, 4, 3}));
  CHECK(cache.bookkeeping_bytes() == 4 * (8 + 1));  // positions + one byte holds 3 flags
  for (int64_t c = 0; c < 3; ++c) cache.set_history_column(c, torch::tensor({true, true, false, true}).view({1, 1, 4}));
  cache.keep(torch::tensor({1, 2}, torch::kInt64).view({1, 1, 2}));
  CHECK(cache.history_counts()[0][0][0].item<int64_t>() == 3);
  CHECK(cache.history_counts()[0][0][1].item<int64_t>() == 0);
  cache.append(k.narrow(2, 0, 1), k.narrow(2, 0, 1), 4);
  CHECK(cache.token_history()[0][0][2].sum().item<int64_t>() == 0);
  CHECK_THROWS_AS(cache.reserve_token_history(2), std::logic_error);  // after allocation
}

TEST_CASE("the bit-packed history equals a plain bool history under random writes", "[layer_cache]") {
  const int64_t B = 2, H = 3, S = 9, width = 13;  // 13 flags: two bytes, the second partly used
  LayerCache cache(16);
  cache.reserve_token_history(width);
  auto k = torch::zeros({B, H, S, 2});
  cache.append(k, k, 0);
  CHECK(cache.bookkeeping_bytes() == B * H * S * (8 + 2));
  torch::manual_seed(3);
  auto naive = torch::zeros({B, H, S, width}, torch::kBool);  // the reference: one bool per flag
  for (int64_t step = 0; step < 40; ++step) {
    auto flags = torch::rand({B, H, S}) > 0.5;
    const int64_t column = (step * 5) % width;
    cache.set_history_column(column, flags);
    naive.select(3, column).copy_(flags);
    if (step % 10 == 9) {  // a prefill-style write of several columns at once
      auto columns = torch::tensor({2, 12, 7}, torch::kInt64);
      auto many = torch::rand({B, H, S, 3}) > 0.3;
      cache.set_history_columns(columns, many);
      naive.index_copy_(3, columns, many);
    }
    REQUIRE(torch::equal(cache.token_history(), naive));
    REQUIRE(torch::equal(cache.history_counts(), naive.sum(-1)));
  }
  // keep gathers the packed rows with the tokens
  auto index = torch::tensor({8, 0, 4}, torch::kInt64).view({1, 1, 3}).expand({B, H, 3}).contiguous();
  cache.keep(index);
  CHECK(torch::equal(cache.token_history(), naive.index_select(2, torch::tensor({8, 0, 4}, torch::kInt64))));
}

TEST_CASE("clear empties the cache and its state but keeps the buffers", "[layer_cache]") {
  LayerCache cache = positional_cache(5);
  cache.state.push_back(torch::ones({2, 2}));
  CHECK(cache.state_bytes() == 16);
  const int64_t allocated = cache.allocated_bytes();
  cache.clear();
  CHECK(cache.size() == 0);
  CHECK(cache.next_position() == 0);
  CHECK(cache.state.empty());
  CHECK(cache.kv_bytes() == 0);
  CHECK(cache.allocated_bytes() == allocated);
}

TEST_CASE("cache_future_mask hides keys after each query", "[layer_cache]") {
  auto keys = torch::tensor({0, 3, 5, 6}, torch::kInt64).view({1, 1, 4});
  auto mask = cache_future_mask(torch::tensor({4, 6}, torch::kInt64), keys);  // [1, 1, 2, 4]
  CHECK(torch::equal(mask[0][0][0], torch::tensor({false, false, true, true})));
  CHECK(torch::equal(mask[0][0][1], torch::tensor({false, false, false, false})));
}
