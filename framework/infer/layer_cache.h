#pragma once
/// One layer's decoding memory: a key/value cache for attention-like mixers, or a fixed-size
/// recurrent state for linear-time mixers. Kept apart from the graph code (llama.cpp style).
///
/// Keys/values live in buffers preallocated to `capacity` tokens, so decoding never reallocates.
/// Every (batch row, head) holds the same number of tokens `size()`, but not necessarily the
/// same tokens: `positions()` says, per head, which absolute position each slot holds. Eviction
/// compacts the buffers in place with `keep()`.

#include <torch/types.h>

#include <vector>

namespace attnlab {

class LayerCache {
 public:
  /// An empty cache; the buffers are allocated on the first append (their dtype and device follow
  /// the first keys appended), sized to `capacity` tokens per head.
  explicit LayerCache(int64_t capacity);

  /// Appends T new tokens at absolute positions pos0 .. pos0+T-1 for every head.
  /// keys, values: [B, H, T, Dh] (keys already position-encoded). UserError-free: exceeding the
  /// capacity is a programming error (std::logic_error naming both sizes).
  void append(const torch::Tensor& keys, const torch::Tensor& values, int64_t pos0);

  /// Keeps, per (batch row, head), the slots `index` [B, H, S'] (int64, values < size()), in that
  /// order; keys, values, positions and the policy's per-token scores are gathered together.
  void keep(const torch::Tensor& index);

  /// Drops everything but keeps the buffers (a new sequence).
  void clear();

  torch::Tensor keys() const;       ///< [B, H, S, Dh] view of the filled slots
  torch::Tensor values() const;     ///< [B, H, S, Dh]
  torch::Tensor positions() const;  ///< [B, H, S] int64 absolute positions

  /// Reserves one float32 score per held token and head for policies that keep one (accumulated
  /// attention, last weights). Call before the first append; std::logic_error once allocated.
  void reserve_token_scores();
  /// [B, H, S] float32 view of the reserved scores, zero for newly appended tokens, gathered by
  /// keep(); undefined unless reserved.
  torch::Tensor token_scores() const;

  /// Reserves a per-token history of `width` flags: a ring buffer with one column per decoding
  /// step, for policies that count events over the last `width` steps (scissorhands: steps in
  /// which a token was pivotal). Bit-packed (ceil(width / 8) bytes per token and head), zeroed for
  /// appended tokens and gathered by keep(). Call before the first append; std::logic_error once
  /// allocated.
  void reserve_token_history(int64_t width);
  /// Sets column `column` (< width) of every held token's history to `flags` [B, H, S] bool.
  void set_history_column(int64_t column, const torch::Tensor& flags);
  /// Sets the columns `columns` [n] int64 (distinct, < width) to `flags` [B, H, S, n] bool.
  void set_history_columns(const torch::Tensor& columns, const torch::Tensor& flags);
  /// [B, H, S] int64: the set flags of each held token's history.
  torch::Tensor history_counts() const;
  /// [B, H, S, width] bool: the history unpacked (a copy; for inspection and tests).
  torch::Tensor token_history() const;
  /// Width of the token history (0 = none).
  int64_t history_width() const { return history_width_; }

  int64_t size() const { return size_; }
  int64_t capacity() const { return capacity_; }
  bool allocated() const { return keys_.defined(); }
  /// Absolute position of the next token to append (tokens seen so far, evicted or not).
  int64_t next_position() const { return next_position_; }

  /// Bytes of keys + values actually held (size() tokens), the figure budgets are judged by.
  int64_t kv_bytes() const;
  /// Bytes allocated for keys + values (capacity tokens).
  int64_t allocated_bytes() const;
  /// Bytes of the per-token bookkeeping of the held tokens: positions and whatever the policy
  /// reserved (a score, the bit-packed history: ceil(width / 8) bytes per token and head), which
  /// eviction costs on top of kv_bytes().
  int64_t bookkeeping_bytes() const;

  /// Recurrent state of linear-time mixers (e.g. Σ φ(k) vᵀ [B, H, Dh, Dh] and Σ φ(k) [B, H, Dh]);
  /// the mixer owns its meaning. Empty for attention-like mixers.
  std::vector<torch::Tensor> state;

  /// Bytes of the recurrent state.
  int64_t state_bytes() const;

 private:
  int64_t capacity_;
  int64_t size_ = 0;
  int64_t next_position_ = 0;
  torch::Tensor keys_;       // [B, H, capacity, Dh]
  torch::Tensor values_;     // [B, H, capacity, Dh]
  torch::Tensor positions_;  // [B, H, capacity] int64
  bool scores_reserved_ = false;
  torch::Tensor scores_;     // [B, H, capacity] float32, when reserved
  int64_t history_width_ = 0;
  torch::Tensor history_;    // [B, H, capacity, ceil(history_width / 8)] uint8, bit c % 8 of byte c / 8, when reserved
};

/// Causal mask for attention over a cache: true where key slot s is in the future of query t.
/// query_positions: [T] int64; key_positions: [B, H, S] → [B, H, T, S] bool.
torch::Tensor cache_future_mask(const torch::Tensor& query_positions, const torch::Tensor& key_positions);

}  // namespace attnlab
