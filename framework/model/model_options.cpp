#include "model/model_options.h"

#include "config/map_reader.h"
#include "core/error.h"
#include "model/swiglu.h"

namespace attnlab {

ModelOptions ModelOptions::from_config(const cfg::Node& node) {
  ModelOptions o;
  cfg::MapReader r(node, "model");
  o.n_layers = r.integer("n_layers", o.n_layers);
  o.d_model = r.integer("d_model", o.d_model);
  o.n_heads = r.integer("n_heads", o.n_heads);
  o.ctx = r.integer("ctx", o.ctx);
  o.mlp_ratio = r.number("mlp_ratio", o.mlp_ratio);
  o.ffn_hidden = r.integer("ffn_hidden", o.ffn_hidden);
  o.tie_embeddings = r.boolean("tie_embeddings", o.tie_embeddings);
  o.dropout = r.number("dropout", o.dropout);
  o.rope_theta = r.number("rope_theta", o.rope_theta);
  o.norm_eps = r.number("norm_eps", o.norm_eps);
  o.init_std = r.number("init_std", o.init_std);
  r.finish();

  auto require = [&](bool ok, const std::string& key, const std::string& what) {
    if (!ok) {
      const cfg::Node* value = node.find(key);
      cfg::fail_at(value ? value->source() : node.source(), r.key_path(key) + ": " + what);
    }
  };
  require(o.n_layers >= 1, "n_layers", "must be at least 1");
  require(o.d_model >= 2, "d_model", "must be at least 2");
  require(o.n_heads >= 1 && o.d_model % o.n_heads == 0, "n_heads",
          "must divide d_model (" + std::to_string(o.d_model) + ")");
  require((o.d_model / std::max<int64_t>(o.n_heads, 1)) % 2 == 0, "n_heads",
          "head dimension d_model / n_heads must be even for RoPE");
  require(o.ctx >= 2, "ctx", "must be at least 2");
  require(o.mlp_ratio > 0, "mlp_ratio", "must be positive");
  require(o.ffn_hidden >= 0, "ffn_hidden", "must be >= 0");
  require(o.dropout >= 0 && o.dropout < 1, "dropout", "must be in [0, 1)");
  return o;
}

int64_t ModelOptions::ffn_hidden_size() const {
  return ffn_hidden > 0 ? ffn_hidden : swiglu_hidden_size(d_model, mlp_ratio);
}

}  // namespace attnlab
