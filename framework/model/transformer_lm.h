#pragma once
/// The language model: tok_emb → blocks (mixer per layer from a LayerPlan) → rmsnorm → lm_head.

#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/embedding.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

#include <map>
#include <string>
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
  std::vector<torch::Tensor>* hidden = nullptr;  ///< when set, receives the residual stream [B, T, C]: the embedding, then each layer's output (L + 1 tensors)
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

  /// The `MixerInput::qk` each layer receives for `tokens` (before the block's norm): undefined for
  /// layers with the current source, the source's from_input(tok_emb(tokens)) [B, T, C] for per-input
  /// sources, and positions pos0 .. pos0+T-1 of a stream's hidden state at that layer [1, T, C] for
  /// streams. A stream is computed (on its first pos0 + T positions, which must fit in ctx) only when
  /// a layer needs it.
  std::vector<torch::Tensor> layer_qk(const torch::Tensor& tokens, const ForwardOptions& fwd = {});

  /// True when some layer's Q/K stream is built from the training data (FixedSeqQK): set_train_prefix()
  /// must be called before the first forward (the runner does it with the first ctx training tokens).
  bool wants_train_prefix() const;
  /// tokens: [ctx] int64, ids < vocab_size; handed to every stream that wants them.
  void set_train_prefix(const torch::Tensor& tokens);

  const ModelOptions& options() const { return options_; }
  const LayerPlan& plan() const { return plan_; }
  int64_t n_layers() const { return static_cast<int64_t>(blocks_.size()); }
  BlockImpl& block(int64_t i) { return *blocks_[i]; }

  /// Number of parameters (the tied lm_head shares tok_emb's weight).
  int64_t parameter_count() const;

 private:
  void init_weights();
  void init_qk_streams();
  std::vector<torch::Tensor> qk_from_embedding(const torch::Tensor& embedded, const ForwardOptions& fwd);
  /// Hidden states [1, length, C] entering each layer up to `last_layer` of the stream `source`.
  std::vector<torch::Tensor> run_stream(const QKSource& source, int64_t length, const ForwardOptions& fwd,
                                        size_t last_layer);

  ModelOptions options_;
  LayerPlan plan_;
  std::vector<QKSourcePtr> qk_sources_;    // per layer, from its mixer (null: current)
  std::map<std::string, QKSourcePtr> streams_;  // by name: the source that owns each stream's buffers
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
