#pragma once
/// Perplexity (and a probe task's accuracy) under a KV budget: validation windows decoded token
/// by token, so that the loss at every position is computed from the compressed cache only (what a
/// budgeted deployment sees).

#include <limits>
#include <vector>

#include "data/dataset.h"
#include "infer/cache_config.h"
#include "model/transformer_lm.h"

namespace attnlab {

struct BudgetEvalResult {
  double loss = 0.0;         ///< mean cross-entropy over every position, nats per token
  double ppl = 0.0;          ///< exp(loss)
  int64_t tokens = 0;        ///< positions scored
  int64_t context_len = 0;   ///< T: tokens per window (the length the ratio refers to)
  int64_t budget = 0;        ///< nominal tokens per head (context_len for the full policy)
  double ratio = 1.0;        ///< compression ratio (`cache.ratio`, or context_len / budget)
  std::vector<int64_t> layer_budgets;  ///< per layer (KV layers use theirs)
  /// Peak decoding memory of one sequence, in bytes: the largest, over the steps, of what every
  /// layer holds after the step's eviction — keys + values of the KV layers (all heads) plus
  /// recurrent states — divided by the batch rows. The full cache ends at context_len tokens.
  int64_t kv_bytes = 0;
  double tokens_per_s = 0.0; ///< positions scored per second of wall time
  bool has_kv_layers = true; ///< false when no layer holds a KV cache (policy and budget irrelevant)
  double accuracy = std::numeric_limits<double>::quiet_NaN();  ///< probe tasks: argmax == label at scored positions
  int64_t answers = 0;       ///< probe tasks: scored positions
};

/// Evaluates an eval set [N, T] in batches of `batch_size`, one token per step, under `cache` with
/// budgets for context_len = T: the loss over the targets that are not ignored and, when the set
/// has labels (a probe task), the accuracy at its scored positions. No grad; eval mode.
BudgetEvalResult evaluate_budget(TransformerLM& model, const data::EvalSet& set, int64_t batch_size,
                                 const CacheConfig& cache, const std::vector<bool>& skip_layers = {});

/// Text windows x, y [N, T] (y = x shifted by one).
BudgetEvalResult evaluate_budget(TransformerLM& model, const torch::Tensor& x, const torch::Tensor& y,
                                 int64_t batch_size, const CacheConfig& cache,
                                 const std::vector<bool>& skip_layers = {});

}  // namespace attnlab
