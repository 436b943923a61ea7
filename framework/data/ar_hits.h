#pragma once
/// Associative-recall hits (Zoology, Arora et al. 2023): the text tokens that complete a bigram
/// already seen earlier in the same window. Most of attention's perplexity lead over its
/// alternatives sits on these tokens, so evaluation splits the loss on them.

#include <torch/torch.h>

namespace attnlab::data {

/// x, y [N, T] int64 (y: next tokens, kIgnore where not scored) -> [N, T] bool: position t is a hit
/// when some s < t in the same row has x[s] == x[t] and y[s] == y[t]. Ignored targets are never
/// hits and never count as an earlier occurrence.
torch::Tensor ar_hit_mask(const torch::Tensor& x, const torch::Tensor& y);

}  // namespace attnlab::data
