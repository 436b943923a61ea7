#pragma once
/// Sparsity of Dynamic Context Pruning: the loss term that pushes keep probabilities down, and
/// the fraction of context actually dropped. Both look only at the causal context of each
/// query, the keys j < k (a token never drops itself, future keys are masked anyway).

#include <torch/types.h>

#include <vector>

#include "pruning/alpha_sigmoid.h"

namespace attnlab {

/// λ · mean of I = exp(log_keep) over the causal entries j < k of every [T, T] slice.
/// log_keep: [..., T, T] (query k, key j) → [] differentiable; 0 when T < 2 (no context).
/// The model adds it once per pruned layer (the reference code's λ is 0.3).
torch::Tensor sparsity_loss(const torch::Tensor& log_keep, double lambda);

/// What one layer dropped.
struct LayerSparsity {
  double dropped_fraction = 0.0;  ///< causal entries with log_keep ≤ threshold / causal entries
  double mean_keep = 1.0;         ///< mean of I over causal entries
  int64_t causal_entries = 0;     ///< (batch elements) · T (T - 1) / 2
};

/// The sparsity of one layer as tensors, without a host sync (for MixerStats); undefined when T < 2.
struct SparsityTensors {
  torch::Tensor dropped_fraction;  ///< [] float64
  torch::Tensor mean_keep;         ///< [] float64
};
SparsityTensors sparsity_tensors(const torch::Tensor& log_keep, double log_threshold = kLogZero);

/// Sparsity of one layer: log_keep [..., T, T]. An entry counts as dropped when
/// log_keep ≤ log_threshold; the default (the floor) counts exactly the entries with I = 0,
/// log(ε) counts those with I ≤ ε. An empty context (T < 2) gives {0, 1, 0}.
LayerSparsity sparsity_stats(const torch::Tensor& log_keep, double log_threshold = kLogZero);

/// sparsity_stats of every layer, in order.
std::vector<LayerSparsity> sparsity_stats(const std::vector<torch::Tensor>& per_layer_log_keep,
                                          double log_threshold = kLogZero);

}  // namespace attnlab
