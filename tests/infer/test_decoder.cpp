// Decoder: the full policy equals the uncached forward; a budget holds during long decodes without
// reallocation; mixers are checked against what the policy needs.
#include "config/yaml_loader.h"
#include "core/error.h"
#include "infer/decoder.h"
#include "infer/generation.h"
#include "support/catch.h"
#include "support/tiny_model.h"
#include "infer_support.h"
#include "test_mixers.h"

using namespace attnlab;

namespace {

CacheConfig cache_config(const std::string& yaml) {
  register_builtin_variants();
  return CacheConfig::from_config(cfg::parse_yaml(yaml, "test.yaml"));
}

double max_diff(const torch::Tensor& a, const torch::Tensor& b) { return (a - b).abs().max().item<double>(); }

/// Prefills the first `prompt` tokens, steps through the rest; returns the logits [B, T, V].
torch::Tensor decode_all(Decoder& decoder, const torch::Tensor& tokens, int64_t prompt) {
  std::vector<torch::Tensor> pieces = {decoder.prefill(tokens.narrow(1, 0, prompt))};
  for (int64_t t = prompt; t < tokens.size(1); ++t) pieces.push_back(decoder.step(tokens.narrow(1, t, 1)).unsqueeze(1));
  return torch::cat(pieces, 1);
}

/// {name: <policy>} for every registered policy that evicts, with its default options.
std::vector<std::string> evicting_policies() {
  std::vector<std::string> out;
  for (const auto& entry : testing::registered_policies(/*evicting_only=*/true)) out.push_back("{name: " + entry.first + "}");
  return out;
}

}  // namespace

TEST_CASE("decoding with the full policy equals the uncached forward", "[decoder]") {
  TransformerLM model = testing::tiny_model("softmax", 1, 2);
  model->eval();
  torch::NoGradGuard no_grad;
  torch::manual_seed(3);
  auto tokens = torch::randint(0, 50, {3, 20}, torch::kInt64);
  auto reference = model->forward(tokens).logits;  // [3, 20, V]
  const CacheConfig full = cache_config("{name: full}");
  for (int64_t prompt : {1, 2, 7, 19, 20}) {
    INFO("prompt " << prompt);
    DecoderOptions options;
    options.max_prefill = prompt;
    Decoder decoder = Decoder::from_config(model, full, 20, options);
    CHECK(decoder.layer_budgets() == std::vector<int64_t>{20, 20});
    CHECK(max_diff(decode_all(decoder, tokens, prompt), reference) < 1e-5);
    CHECK(decoder.position() == 20);
    CHECK(decoder.max_cache_size() == 20);
    // reset: the same again
    decoder.reset();
    CHECK(max_diff(decode_all(decoder, tokens, prompt), reference) < 1e-5);
  }
  // no policy at all is the full cache too
  Decoder plain(model, nullptr, {20, 20});
  CHECK(max_diff(decode_all(plain, tokens, 1), reference) < 1e-5);
}

TEST_CASE("a budget that is never reached changes nothing", "[decoder]") {
  TransformerLM model = testing::tiny_model("softmax", 2, 2);
  torch::NoGradGuard no_grad;
  auto tokens = torch::randint(0, 50, {2, 16}, torch::kInt64);
  auto reference = model->forward(tokens).logits;
  for (const auto& yaml : evicting_policies()) {
    INFO(yaml);
    CacheConfig cache = cache_config(yaml);
    cache.budget.tokens = 16;
    DecoderOptions options;
    options.max_prefill = 5;
    Decoder decoder = Decoder::from_config(model, cache, 16, options);
    CHECK(max_diff(decode_all(decoder, tokens, 5), reference) < 1e-5);
  }
}

TEST_CASE("the cache never exceeds its budget during a long decode, without reallocation", "[decoder]") {
  TransformerLM model = testing::tiny_model("softmax", 4, 2);
  torch::NoGradGuard no_grad;
  auto tokens = torch::randint(0, 50, {2, 100}, torch::kInt64);
  for (const auto& yaml : evicting_policies()) {
    INFO(yaml);
    CacheConfig cache = cache_config(yaml);
    cache.budget.tokens = 12;
    DecoderOptions options;
    options.max_prefill = 30;
    Decoder decoder = Decoder::from_config(model, cache, 100, options);
    auto logits = decoder.prefill(tokens.narrow(1, 0, 30));
    CHECK(decoder.max_cache_size() <= 12);
    const void* keys = decoder.cache(0)->keys().data_ptr();
    const int64_t allocated = decoder.cache(1)->allocated_bytes();
    CHECK(allocated == 2 * 4 * (12 + 30) * 16 * 4);  // B * H * capacity * (Dh k + v) * float
    int64_t smallest = 12;
    for (int64_t t = 30; t < 100; ++t) {
      auto step = decoder.step(tokens.narrow(1, t, 1));
      REQUIRE(decoder.max_cache_size() <= 12);
      CHECK(decoder.memory_bytes() <= 2 * 2 * 4 * 12 * 16 * 4);  // layers * B * H * budget * (Dh k + v) * 4
      smallest = std::min(smallest, decoder.cache(0)->size());
      REQUIRE(torch::isfinite(step).all().item<bool>());
    }
    CHECK(decoder.cache(0)->keys().data_ptr() == keys);
    CHECK(decoder.cache(1)->allocated_bytes() == allocated);
    // positions held are distinct, increasing, and the newest token is always there
    auto positions = decoder.cache(1)->positions();
    CHECK((positions.diff(1, -1) > 0).all().item<bool>());
    // a step cuts budget + 1 tokens to the policy's target (scissorhands drops m at once)
    CHECK(smallest == cache.policy->target_size(12 + 1, 12));
  }
}

TEST_CASE("a policy that needs weights refuses a mixer without them", "[decoder][errors]") {
  testing::register_test_mixers();
  TransformerLM model = testing::tiny_model("test_mean", 0, 2);
  torch::NoGradGuard no_grad;
  auto tokens = torch::randint(0, 50, {2, 10}, torch::kInt64);
  auto reference = model->forward(tokens).logits;
  int64_t refused = 0, decoded = 0;
  for (const auto& [name, policy] : testing::registered_policies(/*evicting_only=*/false)) {
    INFO("policy " << name);
    if (policy->needs_weights()) {
      CHECK_THROWS_WITH(Decoder::from_config(model, cache_config("{name: " + name + "}"), 64),
                        Catch::Contains("needs attention weights") && Catch::Contains("test_mean"));
      ++refused;
    } else if (!policy->evicts()) {  // full decoding equals the forward
      Decoder full = Decoder::from_config(model, cache_config("{name: " + name + "}"), 10);
      CHECK(max_diff(decode_all(full, tokens, 1), reference) < 1e-5);
    } else {
      Decoder decoder = Decoder::from_config(model, cache_config("{name: " + name + ", budget: 6}"), 10);
      decode_all(decoder, tokens, 1);
      CHECK(decoder.max_cache_size() <= 6);
      ++decoded;
    }
  }
  CHECK(refused >= 3);  // h2o, scissorhands, tova
  CHECK(decoded >= 3);  // window, streaming, random
}

TEST_CASE("a mixer that manages its own cache refuses an evicting policy", "[decoder][errors]") {
  TransformerLM model = testing::tiny_model("dcp", 0, 2);
  for (const auto& entry : testing::registered_policies(/*evicting_only=*/true)) {
    INFO("policy " << entry.first);
    CHECK_THROWS_AS(Decoder::from_config(model, cache_config("{name: " + entry.first + "}"), 64), UserError);
    CHECK_THROWS_WITH(Decoder::from_config(model, cache_config("{name: " + entry.first + "}"), 64),
                      Catch::Contains("layer 0's mixer 'dcp'") && Catch::Contains("cache.name=full"));
  }
  // the full cache is fine: dcp decoding equals its forward
  torch::NoGradGuard no_grad;
  auto tokens = torch::randint(0, 50, {2, 10}, torch::kInt64);
  Decoder full = Decoder::from_config(model, cache_config("{name: full}"), 10);
  CHECK(max_diff(decode_all(full, tokens, 1), model->forward(tokens).logits) < 1e-4);
}

TEST_CASE("a mixer that mixes tokens without a cache or a state cannot decode", "[decoder][errors]") {
  testing::register_test_mixers();
  TransformerLM model = testing::tiny_model("test_cumsum", 0, 2);
  CHECK_THROWS_AS(Decoder::from_config(model, cache_config("{name: full}"), 8), UserError);
  CHECK_THROWS_WITH(Decoder::from_config(model, cache_config("{name: full}"), 8),
                    Catch::Contains("cannot decode incrementally"));
}

TEST_CASE("generation is seeded and greedy decoding follows the argmax", "[decoder][generate]") {
  TransformerLM model = testing::tiny_model("softmax", 5, 2);
  torch::NoGradGuard no_grad;
  Decoder decoder = Decoder::from_config(model, cache_config("{name: full}"), 3 + 12, {3});
  SamplingOptions greedy;
  greedy.temperature = 0;
  const std::vector<int64_t> prompt = {4, 8, 15};
  const auto out = generate(decoder, prompt, 12, greedy);
  REQUIRE(out.size() == 12);
  // the greedy continuation, recomputed with the uncached forward one token at a time
  std::vector<int64_t> sequence = prompt;
  for (int64_t i = 0; i < 12; ++i) {
    auto logits = model->forward(torch::tensor(sequence, torch::kInt64).unsqueeze(0)).logits;
    sequence.push_back(logits[0][-1].argmax().item<int64_t>());
  }
  CHECK(std::vector<int64_t>(sequence.begin() + 3, sequence.end()) == out);
  SamplingOptions sampled;
  sampled.seed = 11;
  sampled.top_k = 5;
  CHECK(generate(decoder, prompt, 12, sampled) == generate(decoder, prompt, 12, sampled));
  // top-k 1 is greedy
  sampled.top_k = 1;
  CHECK(generate(decoder, prompt, 12, sampled) == out);
}

TEST_CASE("a policy that needs weights refuses a model of recurrent mixers (taylor, elu1, nonapprox)",
          "[decoder][errors]") {
  for (const char* mixer : {"taylor", "elu1", "nonapprox"}) {
    INFO(mixer);
    TransformerLM model = testing::tiny_model(mixer, 0, 2);
    for (const char* yaml : {"{name: h2o, ratio: 2}", "{name: scissorhands, ratio: 2}", "{name: tova, ratio: 2}"}) {
      CHECK_THROWS_WITH(Decoder::from_config(model, cache_config(yaml), 64),
                        Catch::Contains("no layer of this model has any") && Catch::Contains(mixer));
    }
    // a policy without weights has nothing to evict: the recurrent state decodes as usual
    CHECK_NOTHROW(Decoder::from_config(model, cache_config("{name: window, ratio: 2}"), 16));
  }
}
