#pragma once
/// Text generation with a Decoder: prefill the prompt, then sample one token per step.

#include <cstdint>
#include <vector>

#include "infer/decoder.h"

namespace attnlab {

struct SamplingOptions {
  double temperature = 1.0;  ///< softmax temperature; 0 = greedy (argmax)
  int64_t top_k = 0;         ///< sample among the k most likely tokens; 0 = all
  uint64_t seed = 0;         ///< seed of the sampling generator (CPU)
};

/// Next tokens [B] (int64) from logits [B, V] under `options`, drawing from `generator`.
torch::Tensor sample_next(const torch::Tensor& logits, const SamplingOptions& options, at::Generator& generator);

/// Prefills `prompt` (one sequence, at least one token) into a fresh `decoder` and samples
/// `max_new` tokens. Returns the new token ids.
std::vector<int64_t> generate(Decoder& decoder, const std::vector<int64_t>& prompt, int64_t max_new,
                              const SamplingOptions& options);

}  // namespace attnlab
