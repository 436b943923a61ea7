#pragma once
/// Incremental decoding: a TransformerLM, one LayerCache per layer and an optional eviction policy.
///
/// Per layer, by the mixer's traits: a KV cache (has_kv_cache) preallocated to its budget plus the
/// prefill headroom and kept within the budget by the policy; a fixed-size recurrent state
/// (recurrent_state; no policy, the budget does not apply); or nothing (a mixer that does not mix
/// tokens). A mixer that mixes tokens with neither cannot decode incrementally (UserError).
///
/// Budget contract: after every prefill() and step() each head of a KV layer holds at most its
/// budget; during a call it holds one call's tokens more (the new tokens attend themselves before
/// the policy evicts). Nothing is reallocated per token.

#include <memory>
#include <vector>

#include "infer/cache_config.h"
#include "infer/layer_cache.h"
#include "model/transformer_lm.h"

namespace attnlab {

struct DecoderOptions {
  int64_t max_prefill = 1;         ///< the longest prefill() chunk: capacity headroom above the budget
  std::vector<bool> skip_layers;   ///< layers bypassed (eval.skip_layers); empty = none
};

class Decoder {
 public:
  /// `policy` null = full (then `layer_budgets` bounds the sequence length). Tokens may live on any
  /// device (they are moved to the model's). `layer_budgets`: tokens
  /// per head, one per layer (only KV layers use theirs). Puts the model in eval mode.
  /// UserError for a policy that needs weights with a KV mixer that has none or with a model
  /// whose layers hold no KV cache at all (recurrent mixers), for an evicting policy with a mixer
  /// that manages its own cache (traits().manages_cache), or a mixer that cannot decode
  /// incrementally.
  Decoder(TransformerLM model, std::shared_ptr<EvictionPolicy> policy, std::vector<int64_t> layer_budgets,
          DecoderOptions options = {});

  /// A decoder for sequences of up to `context_len` tokens under `cache` (budgets from its ratio or
  /// token count at that length).
  static Decoder from_config(TransformerLM model, const CacheConfig& cache, int64_t context_len,
                             DecoderOptions options = {});

  /// Runs `tokens` [B, T] in one forward pass at the next positions, then evicts down to the
  /// budget. Returns the logits [B, T, V].
  torch::Tensor prefill(const torch::Tensor& tokens);
  /// One token per row: tokens [B, 1] → logits [B, V]; evicts after the step.
  torch::Tensor step(const torch::Tensor& tokens);
  /// Empties every cache (buffers kept) and resets the policy: a new sequence.
  void reset();

  /// Tokens processed so far (the position of the next one).
  int64_t position() const { return position_; }
  /// Bytes of decoding memory held now, all layers and batch rows: keys + values of the KV layers
  /// (LayerCache::kv_bytes) plus the recurrent states.
  int64_t memory_bytes() const;
  /// Bytes of the caches' per-token bookkeeping (LayerCache::bookkeeping_bytes), all layers.
  int64_t bookkeeping_bytes() const;
  /// The largest number of tokens any head of any KV layer holds now (0 without KV layers).
  int64_t max_cache_size() const;
  /// The layer's cache, or null for a layer that decodes without one.
  const LayerCache* cache(int64_t layer) const { return caches_[layer].get(); }
  const std::vector<int64_t>& layer_budgets() const { return budgets_; }
  /// Wall seconds spent in the policy (observe + compress) since construction or reset():
  /// the eviction overhead, apart from the attention weights the forward computes for it.
  double policy_seconds() const { return policy_seconds_; }
  /// True when at least one layer holds a KV cache (the policy and budget matter).
  bool has_kv_layers() const;
  /// True when at least one layer decodes with a recurrent state.
  bool has_recurrent_layers() const;

 private:
  torch::Tensor forward(const torch::Tensor& tokens);

  TransformerLM model_;
  std::shared_ptr<EvictionPolicy> policy_;
  std::vector<int64_t> budgets_;
  DecoderOptions options_;
  std::vector<std::unique_ptr<LayerCache>> caches_;  // per layer; null = no cache
  std::vector<bool> kv_layer_;                       // per layer: holds keys/values the policy manages
  std::vector<LayerCache*> cache_ptrs_;              // per layer, for ForwardOptions
  torch::Device device_{torch::kCPU};                // the model's; tokens are moved there
  int64_t position_ = 0;
  double policy_seconds_ = 0.0;
};

}  // namespace attnlab
