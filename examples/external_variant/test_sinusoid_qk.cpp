// Numerical checks of the sinusoid Q/K source, against the installed attnlab (no test framework
// needed): layer 0's Q/K is the sinusoidal table written out naively here, layer 1's is that table
// run through block 0, neither depends on the tokens, and a hybrid layer with another scale is
// refused. Exit 0 when all pass.
#include <cmath>
#include <iostream>

#include "config/yaml_loader.h"
#include "core/error.h"
#include "model/transformer_lm.h"
#include "registry.h"
#include "sinusoid_qk.h"

namespace {

int failures = 0;

void check(bool ok, const std::string& what) {
  std::cout << (ok ? "ok   " : "FAIL ") << what << '\n';
  failures += ok ? 0 : 1;
}

attnlab::ModelOptions options() {
  attnlab::ModelOptions o;
  o.n_layers = 2;
  o.d_model = 16;
  o.n_heads = 2;
  o.ctx = 24;
  o.vocab_size = 30;
  return o;
}

/// pe[t][2i] = sin(t / 10000^(2i/C)), pe[t][2i+1] = cos(...), times scale: [1, T, C].
torch::Tensor naive_table(int64_t T, int64_t C, double scale) {
  auto pe = torch::zeros({1, T, C});
  for (int64_t t = 0; t < T; ++t) {
    for (int64_t i = 0; 2 * i < C; ++i) {
      const double angle = t / std::pow(10000.0, 2.0 * i / C);
      pe[0][t][2 * i] = scale * std::sin(angle);
      if (2 * i + 1 < C) pe[0][t][2 * i + 1] = scale * std::cos(angle);
    }
  }
  return pe;
}

}  // namespace

int main() {
  attnlab::register_builtin_variants();
  example::register_sinusoid_qk();
  torch::NoGradGuard no_grad;
  torch::manual_seed(0);
  const auto mixer = attnlab::cfg::parse_yaml("{name: softmax, qk_source: sinusoid, scale: 0.5}", "test.yaml");
  attnlab::TransformerLM model(options(), attnlab::LayerPlan::uniform(mixer, 2));
  check(!model->block(0).mixer().traits().is_standard, "a softmax layer with sinusoid Q/K is not standard");
  check(model->named_buffers().size() == 0, "the sinusoid stream keeps no buffer");

  auto a = torch::randint(0, 30, {2, 20}, torch::kInt64), b = torch::randint(0, 30, {2, 20}, torch::kInt64);
  auto qk_a = model->layer_qk(a), qk_b = model->layer_qk(b);
  const auto table = naive_table(20, 16, 0.5);
  check(torch::allclose(qk_a[0], table, 1e-5, 1e-6), "layer 0 Q/K is the sinusoidal table");
  const auto through_block0 = model->block(0).forward(table, attnlab::MixerInput{}).y;
  check(torch::allclose(qk_a[1], through_block0, 1e-5, 1e-6), "layer 1 Q/K is the table after block 0");
  check(torch::equal(qk_a[0], qk_b[0]) && torch::equal(qk_a[1], qk_b[1]), "Q/K do not depend on the tokens");
  attnlab::ForwardOptions later;
  later.pos0 = 4;
  auto slice = model->layer_qk(a.narrow(1, 0, 3), later);
  check(torch::allclose(slice[1], qk_a[1].narrow(1, 4, 3), 1e-5, 1e-6), "positions 4..6 are the same slice");

  attnlab::cfg::Node hybrid = attnlab::cfg::Node::map();
  hybrid["mixer"] = attnlab::cfg::parse_yaml("{name: softmax, qk_source: sinusoid, scale: 0.1}", "test.yaml");
  hybrid["layers"] = attnlab::cfg::Node::scalar("odd");
  bool refused = false;
  try {
    attnlab::TransformerLM mixed(options(), attnlab::LayerPlan::from_config(mixer, hybrid, 2));
  } catch (const attnlab::UserError& e) {
    refused = std::string(e.what()).find("different sinusoid qk streams") != std::string::npos;
  }
  check(refused, "layers with different scales are refused: one stream per source");

  bool bad_scale = false;
  try {
    attnlab::TransformerLM bad(options(), attnlab::LayerPlan::uniform(
        attnlab::cfg::parse_yaml("{name: softmax, qk_source: sinusoid, scale: 0}", "test.yaml"), 2));
  } catch (const attnlab::UserError& e) {
    bad_scale = std::string(e.what()).find("mixer.scale: must be > 0") != std::string::npos;
  }
  check(bad_scale, "scale 0 is refused with the key named");
  if (failures) std::cout << failures << " check(s) failed\n";
  return failures ? 1 : 0;
}
