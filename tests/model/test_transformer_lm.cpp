#include <cmath>

#include "core/error.h"
#include "model/token_mixer.h"
#include "support/catch.h"
#include "support/tiny_model.h"

using namespace attnlab;

TEST_CASE("model shapes, parameter count and tied embeddings", "[model]") {
  TransformerLM model = testing::tiny_model("softmax", 0, 2);
  auto out = model->forward(torch::zeros({3, 5}, torch::kInt64));
  CHECK(out.logits.sizes() == torch::IntArrayRef({3, 5, 50}));
  // tok_emb 50x32 + per layer: qkv 3*32*32 + out 32*32 + swiglu (32*2*88 + 88*32) + 2 norms of 32; final norm 32
  const int64_t hidden = 88;  // 8/3 * 32 = 85.3 -> 88
  const int64_t per_layer = 3 * 32 * 32 + 32 * 32 + 32 * 2 * hidden + hidden * 32 + 2 * 32;
  CHECK(model->parameter_count() == 50 * 32 + 2 * per_layer + 32);
}

TEST_CASE("init: residual projections use std / sqrt(2 * n_layers)", "[model]") {
  TransformerLM model = testing::tiny_model("softmax", 0, 8);
  auto params = model->named_parameters();
  const double residual = params["blocks.0.mixer.out_proj.weight"].std().item<double>();
  const double normal = params["blocks.0.mixer.qkv_proj.weight"].std().item<double>();
  CHECK(normal == Approx(0.02).epsilon(0.1));
  CHECK(residual == Approx(0.02 / 4.0).epsilon(0.15));
  CHECK(params["blocks.0.mixer_norm.weight"].eq(1).all().item<bool>());
}

TEST_CASE("skip_layers bypasses whole blocks", "[model]") {
  TransformerLM model = testing::tiny_model("softmax", 0, 2);
  torch::NoGradGuard no_grad;
  auto tokens = torch::randint(0, 50, {1, 6}, torch::kInt64);
  ForwardOptions all_skipped;
  all_skipped.skip_layers = {true, true};
  auto logits = model->forward(tokens, all_skipped).logits;
  // With every block skipped the model is embedding -> norm -> tied head.
  auto params = model->named_parameters();
  auto h = params["tok_emb.weight"].index_select(0, tokens.view(-1)).view({1, 6, 32});
  auto normed = h * torch::rsqrt(h.pow(2).mean(-1, true) + 1e-6) * params["final_norm.weight"];
  CHECK(torch::allclose(logits, torch::matmul(normed, params["tok_emb.weight"].t()), 1e-5, 1e-6));
}

TEST_CASE("an unknown mixer name is a user error naming the closest one", "[model]") {
  register_builtin_variants();
  try {
    testing::tiny_model("softmx");
    FAIL("expected an error");
  } catch (const UserError& e) {
    CHECK(std::string(e.what()).find("unknown mixer 'softmx' (did you mean 'softmax'?)") != std::string::npos);
  }
}
