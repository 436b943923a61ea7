#pragma once
/// KV-cache eviction (kvpress style): a policy only scores the tokens a LayerCache holds and says
/// which it must protect; the shared base does the rest — top-k over the scores and
/// `cache.keep(index)` with the kept tokens in position order.
///
/// Life of a policy during decoding (framework/infer/decoder.h), for every layer with a KV cache:
/// the mixer appends the step's T tokens and attends over the cache; then `observe()` updates the
/// policy's per-token bookkeeping from that call's attention weights, and `compress()` cuts the
/// cache back to its budget. Budgets are per head, in tokens (framework/infer/kv_budget.h); heads
/// may keep different tokens.

#include <torch/types.h>

#include <functional>
#include <memory>
#include <string>

#include "core/registry.h"

namespace attnlab {

namespace cfg {
class MapReader;
}
class LayerCache;

class EvictionPolicy {
 public:
  virtual ~EvictionPolicy() = default;

  /// True when observe() needs the attention weights of every forward call; the decoder then asks
  /// the mixers for them and refuses (UserError) a mixer whose traits().has_weights is false.
  virtual bool needs_weights() const { return false; }
  /// False for the full cache: compress() never drops anything.
  virtual bool evicts() const { return true; }
  /// Tokens this policy always keeps (sinks, recent window) at `budget`; a budget must exceed it.
  virtual int64_t protected_tokens(int64_t budget) const;
  /// Sets up per-token bookkeeping in a fresh cache, before its first append (e.g. a token history).
  virtual void prepare(LayerCache& cache) const;
  /// Restores the policy's own state (random generator) at the start of a new decoding.
  virtual void reset();

  /// Updates the cache's per-token bookkeeping after a forward call appended T tokens.
  /// weights: [B, H, T, S] attention of the T new queries over the S held slots, or undefined
  /// when needs_weights() is false.
  virtual void observe(LayerCache& cache, const torch::Tensor& weights);

  /// Tokens per head the cache is cut to once it holds `size` > `budget`; default `budget`.
  virtual int64_t target_size(int64_t size, int64_t budget) const;

  /// When the cache holds more than `budget` tokens per head, keeps target_size() of them per
  /// (batch row, head): the protected slots first, then the highest scores (ties keep the more
  /// recent token), in position order.
  void compress(LayerCache& cache, int64_t budget);

  /// UserError (one line, naming `where`, e.g. "cache.budget (layer 2)") when `budget` < 1 or
  /// does not exceed protected_tokens(budget).
  void check_budget(int64_t budget, const std::string& where) const;

 protected:
  /// Importance of every held slot, higher = keep: [B, H, S], any floating dtype.
  virtual torch::Tensor score(const LayerCache& cache, int64_t budget) = 0;
  /// Slots kept whatever their score: [B, H, S] bool, or undefined for none (the default).
  virtual torch::Tensor protected_slots(const LayerCache& cache, int64_t budget) const;
};

/// The `n` most recent tokens of every head (positions >= next_position - n): [B, H, S] bool.
torch::Tensor recent_slots(const LayerCache& cache, int64_t n);
/// The first `n` tokens of the sequence (positions < n): [B, H, S] bool.
torch::Tensor sink_slots(const LayerCache& cache, int64_t n);

/// Builds a policy from its `cache:` config map. The factory reads its own keys (`window`,
/// `recent`, `seed`, ...) from `options` with the strict getters; the shared keys (name, budget,
/// ratio, layer_budget) are read by CacheConfig (framework/infer/cache_config.h).
using PolicyFactory = std::function<std::shared_ptr<EvictionPolicy>(cfg::MapReader& options)>;

/// The process-wide eviction-policy registry (filled by register_builtin_variants()).
Registry<PolicyFactory>& policy_registry();

}  // namespace attnlab
