#pragma once
/// Language-model batches from a token stream: random training windows and fixed validation windows.

#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "data/token_stream.h"

namespace attnlab::data {

/// SplitMix64: the counter-based mixer behind every random choice of the batcher.
uint64_t splitmix64(uint64_t x);

/// `batch` random windows of seq_len + 1 tokens as x, y: [B, T] int64 (y = x shifted by one).
/// Deterministic from (seed, step) alone, so a resumed run reproduces the data order without saving
/// RNG state; torch's global generator is not touched. UserError when the `split` ("train") has fewer
/// than seq_len + 1 tokens.
std::pair<torch::Tensor, torch::Tensor> sample_batch(const TokenStream& tokens, int64_t batch,
                                                     int64_t seq_len, uint64_t seed, int64_t step,
                                                     const std::string& split = "train");

/// A fixed set of validation windows: up to `max_windows` non-overlapping windows of seq_len + 1
/// tokens, evenly spaced over the split (first at 0, last at the end), as x, y: [N, T] int64.
/// UserError when the `split` has fewer than seq_len + 1 tokens.
std::pair<torch::Tensor, torch::Tensor> validation_windows(const TokenStream& tokens, int64_t seq_len,
                                                           int64_t max_windows,
                                                           const std::string& split = "validation");

}  // namespace attnlab::data
