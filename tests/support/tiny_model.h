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

/// A 2-layer, 32-wide, 4-head model over a 50-token vocabulary with `mixer` in every layer.
inline TransformerLM tiny_model(const std::string& mixer = "softmax", uint64_t seed = 0, int64_t n_layers = 2) {
  register_builtin_variants();
  torch::manual_seed(seed);
  ModelOptions options;
  options.n_layers = n_layers;
  options.d_model = 32;
  options.n_heads = 4;
  options.ctx = 32;
  options.vocab_size = 50;
  return TransformerLM(options, LayerPlan::uniform(mixer_spec(mixer), n_layers));
}

}  // namespace attnlab::testing
