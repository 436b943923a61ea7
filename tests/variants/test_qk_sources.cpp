// The qk_source axis: what each layer's Q/K are computed from, and the streams' bookkeeping.
#include "config/yaml_loader.h"
#include "core/error.h"
#include "support/catch.h"
#include "support/temp_dir.h"
#include "support/tiny_model.h"
#include "train/checkpoint.h"

using namespace attnlab;

namespace {

cfg::Node spec(const std::string& yaml) { return cfg::parse_yaml(yaml, "test.yaml"); }

/// The two inputs the sequence-independence checks compare.
std::pair<torch::Tensor, torch::Tensor> two_inputs() {
  auto a = torch::arange(10, torch::kInt64).view({1, 10});
  auto b = (a * 3 + 5) % 50;
  return {a, b};
}

/// The input of block `layer` when `h` enters block 0: the stream the model runs.
torch::Tensor run_blocks(TransformerLM& model, torch::Tensor h, int64_t layer) {
  for (int64_t l = 0; l < layer; ++l) h = model->block(l).forward(h, MixerInput{}).y;
  return h;
}

}  // namespace

TEST_CASE("stream qk sources give the same Q/K for every input", "[qk_source]") {
  torch::NoGradGuard no_grad;
  auto [a, b] = two_inputs();
  for (const std::string source : {"random_stream", "fixed_stream"}) {
    INFO("qk_source " << source);
    TransformerLM model = testing::tiny_model(spec("{name: softmax, qk_source: " + source + "}"), 0, 3);
    model->eval();
    auto qk_a = model->layer_qk(a), qk_b = model->layer_qk(b);
    ForwardOptions weights;
    weights.need_weights = true;
    LMOutput out_a = model->forward(a, weights), out_b = model->forward(b, weights);
    for (int64_t l = 0; l < 3; ++l) {
      REQUIRE(qk_a[l].defined());
      CHECK(qk_a[l].sizes() == torch::IntArrayRef({1, 10, 32}));
      CHECK(torch::equal(qk_a[l], qk_b[l]));
      // so the attention maps are the same too, while the outputs are not
      CHECK(torch::allclose(out_a.layers[l].weights, out_b.layers[l].weights, 0.0, 1e-7));
    }
    CHECK(!torch::allclose(out_a.logits, out_b.logits, 1e-3, 1e-3));
    CHECK(!model->block(0).mixer().traits().is_standard);
  }
}

TEST_CASE("static_emb Q/K follow the input tokens; current Q/K are the layer's own", "[qk_source]") {
  torch::NoGradGuard no_grad;
  auto [a, b] = two_inputs();
  TransformerLM model = testing::tiny_model(spec("{name: softmax, qk_source: static_emb}"), 0, 3);
  auto embedding = model->named_parameters()["tok_emb.weight"];
  auto qk_a = model->layer_qk(a), qk_b = model->layer_qk(b);
  ForwardOptions weights;
  weights.need_weights = true;
  LMOutput out_a = model->forward(a, weights), out_b = model->forward(b, weights);
  for (int64_t l = 0; l < 3; ++l) {
    // the same tensor, tok_emb(x), for every layer
    CHECK(torch::equal(qk_a[l], embedding.index_select(0, a.view(-1)).view({1, 10, 32})));
    CHECK(!torch::allclose(qk_a[l], qk_b[l]));
    CHECK(!torch::allclose(out_a.layers[l].weights, out_b.layers[l].weights, 1e-3, 1e-4));
  }
  TransformerLM standard = testing::tiny_model("softmax", 0, 3);
  for (const auto& qk : standard->layer_qk(a)) CHECK(!qk.defined());
  CHECK(standard->block(0).mixer().traits().is_standard);
}

TEST_CASE("stream Q/K are the stream's hidden state entering each layer", "[qk_source]") {
  torch::NoGradGuard no_grad;
  TransformerLM random = testing::tiny_model(spec("{name: taylor, qk_source: random_stream, stream_std: 0.5}"), 0, 3);
  auto noise = random->named_buffers()["qk_random_stream"];  // [1, ctx, C]
  REQUIRE(noise.sizes() == torch::IntArrayRef({1, 32, 32}));
  CHECK(noise.std().item<double>() == Approx(0.5).epsilon(0.1));
  auto tokens = torch::zeros({1, 32}, torch::kInt64);
  auto qk = random->layer_qk(tokens);
  for (int64_t l = 0; l < 3; ++l) CHECK(torch::allclose(qk[l], run_blocks(random, noise, l), 1e-6, 1e-7));

  TransformerLM fixed = testing::tiny_model(spec("{name: attention, form: relu, qk_source: fixed_stream}"), 0, 3);
  auto stream_tokens = torch::arange(32, torch::kInt64) * 7 % 50;
  auto embedded = fixed->named_parameters()["tok_emb.weight"].index_select(0, stream_tokens).unsqueeze(0);
  qk = fixed->layer_qk(tokens);
  for (int64_t l = 0; l < 3; ++l) CHECK(torch::allclose(qk[l], run_blocks(fixed, embedded, l), 1e-6, 1e-7));

  // incremental calls slice positions pos0 .. pos0+T-1 of the same stream
  ForwardOptions later;
  later.pos0 = 9;
  auto slice = fixed->layer_qk(tokens.narrow(1, 0, 4), later);
  for (int64_t l = 0; l < 3; ++l) CHECK(torch::allclose(slice[l], qk[l].narrow(1, 9, 4), 1e-6, 1e-7));
}

TEST_CASE("the random stream is fixed by its seed, not by the model seed", "[qk_source]") {
  auto stream_of = [](const std::string& yaml, uint64_t model_seed) {
    return testing::tiny_model(spec(yaml), model_seed, 2)->named_buffers()["qk_random_stream"];
  };
  const std::string seeded = "{name: softmax, qk_source: random_stream, stream_seed: 4}";
  CHECK(torch::equal(stream_of(seeded, 0), stream_of(seeded, 9)));
  CHECK(!torch::equal(stream_of(seeded, 0), stream_of("{name: softmax, qk_source: random_stream}", 0)));
  // only models that use a stream hold one
  CHECK(testing::tiny_model("softmax", 0, 2)->named_buffers().size() == 0);
  CHECK(!testing::tiny_model("softmax", 0, 2)->wants_train_prefix());
}

TEST_CASE("stream qk sources are computed only for the layers and positions asked", "[qk_source]") {
  cfg::Node hybrid = cfg::Node::map();
  hybrid["mixer"] = cfg::Node::scalar("softmax");
  hybrid["layers"] = cfg::Node::scalar("even");
  TransformerLM model = testing::tiny_model(spec("{name: softmax, qk_source: fixed_stream}"), 0, 4, hybrid);
  torch::NoGradGuard no_grad;
  auto qk = model->layer_qk(torch::zeros({2, 5}, torch::kInt64));
  CHECK(!qk[0].defined());
  CHECK(qk[1].defined());
  CHECK(!qk[2].defined());
  CHECK(qk[3].defined());
  ForwardOptions skip;
  skip.skip_layers = {false, true, false, true};
  for (const auto& t : model->layer_qk(torch::zeros({2, 5}, torch::kInt64), skip)) CHECK(!t.defined());
}

TEST_CASE("the fixed stream must be set, and is saved and loaded with the model", "[qk_source]") {
  register_builtin_variants();
  ModelOptions options;
  options.n_layers = 2;
  options.d_model = 32;
  options.n_heads = 4;
  options.ctx = 32;
  options.vocab_size = 50;
  const cfg::Node mixer = spec("{name: softmax, qk_source: fixed_stream}");
  torch::manual_seed(0);
  TransformerLM model(options, LayerPlan::uniform(mixer, 2));
  CHECK(model->wants_train_prefix());
  auto tokens = torch::randint(0, 50, {1, 8}, torch::kInt64);
  CHECK_THROWS_WITH(model->forward(tokens), Catch::Contains("never set"));
  CHECK_THROWS(model->set_train_prefix(torch::zeros({31}, torch::kInt64)));
  CHECK_THROWS(model->set_train_prefix(torch::full({32}, 50, torch::kInt64)));
  auto stream = torch::randint(0, 50, {32}, torch::kInt64);
  model->set_train_prefix(stream);
  CHECK(torch::equal(model->named_buffers()["qk_fixed_stream"], stream));

  testing::TempDir dir;
  const std::string path = (dir.path() / "model.pt").string();
  save_checkpoint(path, model, nullptr, {});
  torch::manual_seed(0);  // same weights, stream not set
  TransformerLM loaded(options, LayerPlan::uniform(mixer, 2));
  load_checkpoint(path, loaded, nullptr);
  CHECK(torch::equal(loaded->named_buffers()["qk_fixed_stream"], stream));
  torch::NoGradGuard no_grad;
  CHECK(torch::equal(loaded->forward(tokens).logits, model->forward(tokens).logits));

  // another stream gives other logits, so the buffer is really what the model reads
  loaded->set_train_prefix((stream + 1) % 50);
  CHECK(!torch::allclose(loaded->forward(tokens).logits, model->forward(tokens).logits));
}

TEST_CASE("layers must agree on one random stream", "[qk_source]") {
  cfg::Node hybrid = cfg::Node::map();
  hybrid["mixer"] = spec("{name: taylor, qk_source: random_stream, stream_seed: 2}");
  hybrid["layers"] = cfg::Node::scalar("odd");
  CHECK_THROWS_WITH(testing::tiny_model(spec("{name: softmax, qk_source: random_stream}"), 0, 4, hybrid),
                    Catch::Contains("different random_stream qk streams"));
  hybrid["mixer"] = spec("{name: taylor, qk_source: random_stream}");
  CHECK_NOTHROW(testing::tiny_model(spec("{name: softmax, qk_source: random_stream}"), 0, 4, hybrid));
}
