// Incremental decoding (a LayerCache per layer, pos0 advancing) equals the parallel forward: over the
// KV cache for forms with explicit weights, through the recurrent state for the others.
#include <memory>
#include <vector>

#include "config/yaml_loader.h"
#include "infer/layer_cache.h"
#include "support/catch.h"
#include "support/tiny_model.h"

using namespace attnlab;

namespace {

enum class Memory { kv, state, none };

struct DecodeCase {
  std::string yaml;
  Memory memory;
};

/// Feeds `tokens` [B, T] in chunks of the given sizes through fresh caches; returns the logits [B, T, V].
torch::Tensor decode(TransformerLM& model, const torch::Tensor& tokens, const std::vector<int64_t>& chunks,
                     std::vector<std::unique_ptr<LayerCache>>& caches) {
  caches.clear();
  ForwardOptions fwd;
  for (int64_t l = 0; l < model->n_layers(); ++l) {
    caches.push_back(std::make_unique<LayerCache>(32));
    fwd.caches.push_back(caches.back().get());
  }
  std::vector<torch::Tensor> pieces;
  int64_t pos = 0;
  for (int64_t n : chunks) {
    fwd.pos0 = pos;
    pieces.push_back(model->forward(tokens.narrow(1, pos, n), fwd).logits);
    pos += n;
  }
  REQUIRE(pos == tokens.size(1));
  return torch::cat(pieces, 1);
}

}  // namespace

TEST_CASE("incremental decoding equals the parallel forward for every form", "[decode]") {
  const std::vector<DecodeCase> cases = {
      {"name: softmax", Memory::kv},
      {"name: linear", Memory::kv},
      {"{name: linear, normalize: none}", Memory::kv},
      {"name: relu", Memory::kv},
      {"name: sigmoid", Memory::kv},
      {"name: elu1", Memory::state},
      {"name: taylor", Memory::state},
      {"name: nonapprox", Memory::state},
      {"name: uniform", Memory::state},
      {"name: mlp", Memory::none},
      {"{name: softmax, qk_source: static_emb}", Memory::kv},
      {"{name: taylor, qk_source: random_stream}", Memory::state},
      {"{name: attention, form: nonapprox, qk_source: fixed_stream}", Memory::state},
  };
  for (const auto& c : cases) {
    INFO(c.yaml);
    TransformerLM model = testing::tiny_model(cfg::parse_yaml(c.yaml, "test.yaml"), 2, 3);
    model->to(torch::kFloat64);
    model->eval();
    {
      // wider weights so the forms are far from their small-score regime
      torch::NoGradGuard no_grad;
      for (auto& item : model->named_parameters()) {
        if (item.key().find("mixer.") != std::string::npos && item.value().dim() == 2) item.value().mul_(10.0);
      }
    }
    torch::NoGradGuard no_grad;
    torch::manual_seed(7);
    auto tokens = torch::randint(0, 50, {2, 12}, torch::kInt64);
    auto full = model->forward(tokens).logits;  // [2, 12, V]
    std::vector<std::unique_ptr<LayerCache>> caches;
    for (const auto& chunks : std::vector<std::vector<int64_t>>{std::vector<int64_t>(12, 1), {5, 1, 1, 3, 2}}) {
      auto decoded = decode(model, tokens, chunks, caches);
      CHECK(torch::allclose(decoded, full, 1e-7, 1e-9));
      // the memory the traits promise is the one used
      for (const auto& cache : caches) {
        CHECK(cache->size() == (c.memory == Memory::kv ? 12 : 0));
        CHECK(cache->state.empty() == (c.memory != Memory::state));
      }
    }
    const MixerTraits traits = model->block(0).mixer().traits();
    CHECK(traits.has_kv_cache == (c.memory == Memory::kv));
    CHECK(traits.recurrent_state == (c.memory == Memory::state));
  }
}

TEST_CASE("recurrent state stays finite with very large non-approximate logits", "[decode][nonapprox]") {
  TransformerLM model = testing::tiny_model("nonapprox", 3, 2);
  model->to(torch::kFloat64);
  model->eval();
  torch::NoGradGuard no_grad;
  for (auto& item : model->named_parameters()) {
    if (item.key().find("qkv_proj") != std::string::npos) item.value().mul_(400.0);  // logits in the 1e4s
  }
  auto tokens = torch::randint(0, 50, {1, 10}, torch::kInt64);
  ForwardOptions stats;
  stats.need_stats = true;
  LMOutput out = model->forward(tokens, stats);
  REQUIRE(out.layers[0].stats.max_abs_score.defined());
  CHECK(out.layers[0].stats.max_abs_score.item<double>() > 1000.0);
  CHECK(torch::isfinite(out.logits).all().item<bool>());
  std::vector<std::unique_ptr<LayerCache>> caches;
  auto decoded = decode(model, tokens, std::vector<int64_t>(10, 1), caches);
  CHECK(torch::allclose(decoded, out.logits, 1e-7, 1e-9));
}

TEST_CASE("decoding past the context of a stream qk source is an error", "[decode][qk_source]") {
  TransformerLM model = testing::tiny_model(cfg::parse_yaml("{name: softmax, qk_source: random_stream}", "t"), 0, 2);
  torch::NoGradGuard no_grad;
  ForwardOptions fwd;
  fwd.pos0 = 30;
  CHECK_NOTHROW(model->forward(torch::zeros({1, 2}, torch::kInt64), fwd));
  CHECK_THROWS_WITH(model->forward(torch::zeros({1, 3}, torch::kInt64), fwd),
                    Catch::Contains("covers positions [0, 32)") && Catch::Contains("position 32 was asked for"));
}
