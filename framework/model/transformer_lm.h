#pragma once
/// The language model: tok_emb → blocks (mixer per layer from a LayerPlan) → rmsnorm → lm_head.

#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/embedding.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

#include <vector>

#include "model/block.h"
#include "model/layer_plan.h"
#include "model/model_options.h"
#include "model/rms_norm.h"

namespace attnlab {

struct ForwardOptions {
  int64_t pos0 = 0;                       ///< absolute position of tokens[:, 0]
  bool need_weights = false;              ///< ask every mixer for attention weights
  bool need_stats = false;                ///< ask every mixer for MixerStats
  std::vector<bool> skip_layers;          ///< layers whose block is bypassed (empty = none)
  std::vector<LayerCache*> caches;        ///< one per layer during incremental decoding (empty = none)
};

struct LMOutput {
  torch::Tensor logits;                   ///< [B, T, V]
  std::vector<MixerOutput> layers;        ///< per layer: weights / stats when asked (y is not kept)
  torch::Tensor aux_loss;                 ///< [] sum of the mixers' aux losses, or undefined
};

class TransformerLMImpl : public torch::nn::Module {
 public:
  /// Builds every layer's mixer from the mixer registry. `options.vocab_size` must be set.
  TransformerLMImpl(const ModelOptions& options, const LayerPlan& plan);

  /// tokens: [B, T] int64.
  LMOutput forward(const torch::Tensor& tokens, const ForwardOptions& fwd = {});

  const ModelOptions& options() const { return options_; }
  const LayerPlan& plan() const { return plan_; }
  int64_t n_layers() const { return static_cast<int64_t>(blocks_.size()); }
  BlockImpl& block(int64_t i) { return *blocks_[i]; }

  /// Number of parameters (the tied lm_head shares tok_emb's weight).
  int64_t parameter_count() const;

 private:
  void init_weights();

  ModelOptions options_;
  LayerPlan plan_;
  torch::nn::Embedding tok_emb_{nullptr};  // [V, C]
  std::vector<Block> blocks_;
  torch::nn::ModuleList block_list_{nullptr};
  RMSNorm final_norm_{nullptr};
  torch::nn::Linear lm_head_{nullptr};     // C -> V; null when tied (logits use tok_emb's weight)
};
TORCH_MODULE(TransformerLM);

/// True for parameters that feed the residual stream (scaled init): names ending in
/// "out_proj.weight" or "down_proj.weight".
bool is_residual_projection(const std::string& parameter_name);

}  // namespace attnlab
