#pragma once
/// Small models and configs for the torch tests.

#include <string>

#include "config/node.h"
#include "model/transformer_lm.h"
#include "registry.h"

namespace attnlab::testing {

/// {name: <mixer>}.
inline cfg::Node mixer_spec(const std::string& name) {
  cfg::Node spec = cfg::Node::map();
  spec["name"] = cfg::Node::scalar(name);
  return spec;
}

/// A 2-layer, 32-wide, 4-head model (ctx 32) over a 50-token vocabulary with the mixer `spec` (a map
/// or a bare name) in every layer, or a hybrid when `hybrid` is {mixer, layers}. A model with
/// fixed_stream layers gets the fixed sequence (7 t) mod 50, t < ctx.
inline TransformerLM tiny_model(const cfg::Node& spec, uint64_t seed = 0, int64_t n_layers = 2,
                                const cfg::Node& hybrid = cfg::Node()) {
  register_builtin_variants();
  torch::manual_seed(seed);
  ModelOptions options;
  options.n_layers = n_layers;
  options.d_model = 32;
  options.n_heads = 4;
  options.ctx = 32;
  options.vocab_size = 50;
  TransformerLM model(options, LayerPlan::from_config(spec, hybrid, n_layers));
  if (model->wants_train_prefix()) model->set_train_prefix(torch::arange(options.ctx, torch::kInt64) * 7 % 50);
  return model;
}

/// tiny_model with `{name: <mixer>}` in every layer.
inline TransformerLM tiny_model(const std::string& mixer = "softmax", uint64_t seed = 0, int64_t n_layers = 2) {
  return tiny_model(mixer_spec(mixer), seed, n_layers);
}

}  // namespace attnlab::testing
