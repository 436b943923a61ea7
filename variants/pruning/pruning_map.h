#pragma once
/// Pruning maps (Dynamic Context Pruning, PAPERS.md §3): which context tokens each pruning layer
/// of a trained model drops while it reads one text, and how early. Since a dropped token stays
/// dropped, one number per (layer, token) says it all: the first query that no longer sees it.

#include <torch/types.h>

#include <string>
#include <vector>

#include "model/transformer_lm.h"

namespace attnlab {

/// What the `dcp` layers of a model dropped reading one token sequence.
struct PruningMap {
  int64_t n_tokens = 0;
  std::vector<int64_t> layers;                   ///< indices of the pruning layers, ascending
  /// [layers.size()][n_tokens]: the first query position k > j that no longer sees token j
  /// (I_kj = 0), or -1 when every later query of this text still sees it.
  std::vector<std::vector<int64_t>> dropped_at;

  /// Share of the later queries (k > j) that do not see token j in layer row `row`:
  /// (n_tokens - dropped_at) / (n_tokens - 1 - j), 0 when never dropped; NaN for the last token.
  double dropped_share(size_t row, int64_t j) const;
  /// Share of all causal (query, key) pairs of layer row `row` that are dropped.
  double dropped_fraction(size_t row) const;
};

/// Reads `tokens` [1, T] with `model` in eval mode (α = alpha_end, the hard rule) and collects the
/// keep matrix of every `dcp` layer. std::invalid_argument when the model has no pruning layer.
PruningMap pruning_map(TransformerLM& model, const torch::Tensor& tokens);

}  // namespace attnlab
