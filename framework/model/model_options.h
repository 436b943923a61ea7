#pragma once
/// Options of the `model:` config group (presets in configs/model/).

#include <cstdint>

namespace attnlab {

namespace cfg {
class Node;
}

struct ModelOptions {
  int64_t n_layers = 4;
  int64_t d_model = 128;
  int64_t n_heads = 4;
  int64_t ctx = 256;              ///< context length the model is trained and evaluated at
  double mlp_ratio = 8.0 / 3.0;   ///< SwiGLU hidden = mlp_ratio * d_model rounded up to a multiple of 8
  int64_t ffn_hidden = 0;         ///< explicit SwiGLU hidden size; 0 = from mlp_ratio
  bool tie_embeddings = true;     ///< lm_head shares tok_emb's weight
  double dropout = 0.0;           ///< on the residual branches
  double rope_theta = 10000.0;
  double norm_eps = 1e-6;
  double init_std = 0.02;         ///< normal(0, init_std); residual projections / sqrt(2 * n_layers)
  int64_t vocab_size = 0;         ///< set from the tokenizer, not from config

  /// Strict read of the `model` map (unknown keys and wrong types are UserErrors).
  static ModelOptions from_config(const cfg::Node& node);

  int64_t head_dim() const { return d_model / n_heads; }
  int64_t ffn_hidden_size() const;
};

}  // namespace attnlab
