#pragma once
/// The Scissorhands persistence-of-importance diagnostic (PAPERS.md §2), per layer.
///
/// A token is pivotal at step t (the query at position t, which attends t + 1 tokens) when its
/// attention weight exceeds 1 / (t + 1). Split each window of T tokens at h = T / 2 and, per head,
/// look only at the tokens of the first half (positions < h):
///   early = tokens pivotal at some step t < h,   later = tokens pivotal at some step t >= h.
/// The persistence ratio is |early ∩ later| / |later|: the share of the tokens that matter later
/// that were already pivotal in the first half — what lets Scissorhands evict early. Pooled over
/// heads and windows (sum of intersections / sum of |later|).

#include <vector>

#include "model/transformer_lm.h"

namespace attnlab {

/// Per layer: the persistence ratio over windows x [N, T] (T >= 2), in batches. NaN for a layer
/// whose mixer returns no attention weights (or with no pivotal token in the second half).
std::vector<double> persistence_ratios(TransformerLM& model, const torch::Tensor& x, int64_t batch_size);

}  // namespace attnlab
