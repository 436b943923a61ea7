// Every policy keeps exactly what its rule says, on hand-made attention weights.
#include "config/map_reader.h"
#include "config/yaml_loader.h"
#include "infer/eviction_policy.h"
#include "infer/layer_cache.h"
#include "infer_support.h"
#include "registry.h"
#include "support/catch.h"

using namespace attnlab;
using testing::held;
using testing::positional_cache;
using testing::weights;
using Positions = std::vector<int64_t>;

namespace {

/// A policy from its `cache:` yaml, e.g. "{name: h2o, recent: 2}".
std::shared_ptr<EvictionPolicy> make(const std::string& yaml) {
  register_builtin_variants();
  cfg::Node node = cfg::parse_yaml(yaml, "test.yaml");
  cfg::MapReader r(node, "cache");
  auto policy = policy_registry().get(r.string("name", ""))(r);
  r.finish();
  return policy;
}

}  // namespace

TEST_CASE("every built-in policy is registered", "[policies]") {
  register_builtin_variants();
  CHECK(policy_registry().names() ==
        std::vector<std::string>{"full", "h2o", "random", "scissorhands", "streaming", "tova", "window"});
}

TEST_CASE("full never evicts", "[policies]") {
  auto policy = make("{name: full}");
  LayerCache cache = positional_cache(10);
  policy->compress(cache, 3);
  CHECK(cache.size() == 10);
  CHECK_FALSE(policy->needs_weights());
}

TEST_CASE("window keeps the last B tokens", "[policies]") {
  auto policy = make("{name: window}");
  LayerCache cache = positional_cache(10, 2, 3);
  policy->compress(cache, 4);
  for (int64_t b = 0; b < 2; ++b)
    for (int64_t h = 0; h < 3; ++h) CHECK(held(cache, b, h) == Positions{6, 7, 8, 9});
  CHECK(torch::equal(cache.keys().select(-1, 0), cache.positions().to(torch::kFloat32)));  // keys follow
  policy->compress(cache, 4);  // at budget: nothing happens
  CHECK(cache.size() == 4);
  CHECK_FALSE(policy->needs_weights());
}

TEST_CASE("streaming keeps the sinks and a recent window", "[policies]") {
  auto policy = make("{name: streaming, n_sink: 2}");
  LayerCache cache = positional_cache(10);
  policy->compress(cache, 5);
  CHECK(held(cache) == Positions{0, 1, 7, 8, 9});
  // the next step: the sinks stay, the window slides
  cache.append(torch::zeros({1, 1, 1, 2}), torch::zeros({1, 1, 1, 2}), 10);
  policy->compress(cache, 5);
  CHECK(held(cache) == Positions{0, 1, 8, 9, 10});
  CHECK(make("{name: streaming}")->protected_tokens(8) == 4);  // n_sink default
}

TEST_CASE("h2o keeps the heavy hitters by accumulated attention plus the recent window", "[policies]") {
  auto policy = make("{name: h2o, recent: 2}");
  REQUIRE(policy->needs_weights());
  LayerCache cache = positional_cache(8, 1, 1, 64, 2, policy.get());
  // two queries; accumulated: 0:.30 1:.01 2:.20 3:.02 4:.25 5:.02 6:0 7:0
  policy->observe(cache, weights({{{0.10f, 0.01f, 0.15f, 0.01f, 0.05f, 0.01f, 0.0f, 0.0f},
                                   {0.20f, 0.00f, 0.05f, 0.01f, 0.20f, 0.01f, 0.0f, 0.0f}}}));
  CHECK(cache.token_scores()[0][0][0].item<float>() == Approx(0.30f));
  policy->compress(cache, 4);
  CHECK(held(cache) == Positions{0, 4, 6, 7});  // heavy 0 and 4, recent 6 and 7 (zero attention)
  // accumulation goes on with the kept slots: a new token, and token 4 overtakes token 0
  cache.append(torch::zeros({1, 1, 1, 2}), torch::zeros({1, 1, 1, 2}), 8);
  policy->observe(cache, weights({{{0.0f, 0.5f, 0.0f, 0.0f, 0.5f}}}));  // slots: 0, 4, 6, 7, 8
  policy->compress(cache, 4);
  CHECK(held(cache) == Positions{0, 4, 7, 8});  // 6 leaves the recent window with 0 attention
  // the paper's even split: recent = budget / 2 by default
  auto even = make("{name: h2o}");
  CHECK(even->protected_tokens(10) == 5);
}

TEST_CASE("h2o is per head", "[policies]") {
  auto policy = make("{name: h2o, recent: 1}");
  LayerCache cache = positional_cache(4, 1, 2, 64, 2, policy.get());
  policy->observe(cache, weights({{{0.9f, 0.0f, 0.1f, 0.0f}}, {{0.0f, 0.1f, 0.9f, 0.0f}}}));
  policy->compress(cache, 2);
  CHECK(held(cache, 0, 0) == Positions{0, 3});
  CHECK(held(cache, 0, 1) == Positions{2, 3});
}

TEST_CASE("scissorhands counts pivotal steps in the last w and drops the m lowest, never a recent token",
          "[policies]") {
  auto policy = make("{name: scissorhands, window: 3, recent: 2, drop: 2}");
  REQUIRE(policy->needs_weights());
  LayerCache cache(16);
  policy->prepare(cache);
  REQUIRE(cache.history_width() == 3);
  auto k = torch::zeros({1, 1, 6, 2});
  cache.append(k, k, 0);
  // a 6-token prefill; only queries 3, 4, 5 (the last w = 3 steps) count, with thresholds 1/4, 1/5, 1/6.
  // queries 0-2 put all their weight on token 1: outside the window, so it does not count.
  policy->observe(cache, weights({{{1.00f, 0.00f, 0.00f, 0.00f, 0.00f, 0.00f},
                                   {0.00f, 1.00f, 0.00f, 0.00f, 0.00f, 0.00f},
                                   {0.00f, 1.00f, 0.00f, 0.00f, 0.00f, 0.00f},
                                   {0.30f, 0.20f, 0.30f, 0.20f, 0.00f, 0.00f},    // > 1/4: tokens 0, 2
                                   {0.30f, 0.10f, 0.30f, 0.21f, 0.00f, 0.00f},    // > 1/5: tokens 0, 2, 3
                                   {0.20f, 0.10f, 0.10f, 0.10f, 0.00f, 0.00f}}}));  // > 1/6: token 0
  CHECK(torch::equal(cache.history_counts()[0][0], torch::tensor({3, 0, 2, 1, 0, 0}, torch::kInt64)));
  policy->compress(cache, 6);  // at budget: nothing
  CHECK(cache.size() == 6);
  policy->compress(cache, 5);  // over budget: drop m = 2 lowest (1 and 3); 4 and 5 are recent (count 0)
  CHECK(held(cache) == Positions{0, 2, 4, 5});
}

TEST_CASE("scissorhands' window slides over decoding steps", "[policies]") {
  auto policy = make("{name: scissorhands, window: 2, recent: 1, drop: 1}");
  LayerCache cache(16);
  policy->prepare(cache);
  auto one = torch::zeros({1, 1, 1, 2});
  cache.append(torch::zeros({1, 1, 2, 2}), torch::zeros({1, 1, 2, 2}), 0);
  policy->observe(cache, weights({{{1.0f, 0.0f}, {0.9f, 0.1f}}}));  // step 1: token 0 pivotal (> 1/2)
  cache.append(one, one, 2);
  policy->observe(cache, weights({{{0.2f, 0.6f, 0.2f}}}));  // step 2: token 1 pivotal (> 1/3)
  CHECK(torch::equal(cache.history_counts()[0][0], torch::tensor({1, 1, 0}, torch::kInt64)));
  cache.append(one, one, 3);
  policy->observe(cache, weights({{{0.1f, 0.1f, 0.1f, 0.7f}}}));  // step 3: token 3; step 1 left the window
  CHECK(torch::equal(cache.history_counts()[0][0], torch::tensor({0, 1, 0, 1}, torch::kInt64)));
  policy->compress(cache, 3);  // drop 1: tokens 0 and 2 tie at 0, the older goes
  CHECK(held(cache) == Positions{1, 2, 3});
}

TEST_CASE("scissorhands drops half the budget by default, at most budget - recent", "[policies]") {
  auto policy = make("{name: scissorhands, recent: 2}");
  LayerCache cache(32);
  policy->prepare(cache);
  cache.append(torch::zeros({1, 1, 9, 2}), torch::zeros({1, 1, 9, 2}), 0);
  // no observe: every count is 0, so the most recent survive
  policy->compress(cache, 8);  // 9 > 8: drop 4
  CHECK(held(cache) == Positions{4, 5, 6, 7, 8});
  CHECK(policy->target_size(9, 8) == 5);
  CHECK(policy->target_size(100, 8) == 8);  // a long prefill is cut to the budget
  CHECK(make("{name: scissorhands, recent: 3, drop: 10}")->target_size(5, 4) == 4);  // m clamped to B - r = 1
}

TEST_CASE("tova drops the lowest last-query weight, averaged over heads or per head", "[policies]") {
  auto last_query = weights({{{9.0f, 9.0f, 9.0f, 9.0f, 9.0f}, {0.1f, 0.5f, 0.1f, 0.2f, 0.1f}},
                             {{9.0f, 9.0f, 9.0f, 9.0f, 9.0f}, {0.3f, 0.1f, 0.05f, 0.5f, 0.05f}}});  // [1, 2, 2, 5]
  auto mean = make("{name: tova}");
  REQUIRE(mean->needs_weights());
  LayerCache a = positional_cache(5, 1, 2, 64, 2, mean.get());
  mean->observe(a, last_query);  // mean: .2 .3 .075 .35 .075 -> drop 2 (ties with 4, the older goes)
  mean->compress(a, 4);
  CHECK(held(a, 0, 0) == Positions{0, 1, 3, 4});
  CHECK(held(a, 0, 1) == Positions{0, 1, 3, 4});

  auto per_head = make("{name: tova, heads: per_head}");
  LayerCache b = positional_cache(5, 1, 2, 64, 2, per_head.get());
  per_head->observe(b, last_query);
  per_head->compress(b, 3);
  CHECK(held(b, 0, 0) == Positions{1, 3, 4});  // .5, .2, then the newest of the .1s
  CHECK(held(b, 0, 1) == Positions{0, 1, 3});  // .5, .3, .1
}

TEST_CASE("random keeps B tokens per head, the same ones for the same seed", "[policies]") {
  auto run = [](const std::string& yaml) {
    auto policy = make(yaml);
    LayerCache cache = positional_cache(40, 2, 3);
    policy->compress(cache, 10);
    return cache.positions().clone();
  };
  auto first = run("{name: random, seed: 7}");
  CHECK(first.size(2) == 10);
  CHECK(torch::equal(first, run("{name: random, seed: 7}")));
  CHECK_FALSE(torch::equal(first, run("{name: random, seed: 8}")));
  CHECK((first.diff(1, -1) > 0).all().item<bool>());           // distinct, in position order
  CHECK_FALSE(torch::equal(first[0][0], first[0][1]));          // heads choose on their own
  CHECK_FALSE(make("{name: random}")->needs_weights());
  // reset() restarts the stream
  auto policy = make("{name: random, seed: 3}");
  LayerCache c1 = positional_cache(40), c2 = positional_cache(40);
  policy->compress(c1, 10);
  policy->reset();
  policy->compress(c2, 10);
  CHECK(held(c1) == held(c2));
}
