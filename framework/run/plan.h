#pragma once
/// Sizing a training run before paying for it (`attnlab plan`): parameters, FLOPs per token,
/// tokens per step, memory per rank and the time at a given peak. The same estimate refuses, up
/// front, a run whose memory cannot fit (run_job.cpp).

#include <cstdint>
#include <string>

#include "model/model_options.h"

namespace attnlab {

struct TrainingEstimate {
  int64_t params = 0;             ///< trainable parameters (the model's count)
  int64_t matmul_params = 0;      ///< those multiplied per token (the embedding lookup is not; a tied head is)
  int64_t tokens_per_step = 0;    ///< batch_size x seq_len
  double flops_per_token = 0;     ///< training: 3 x forward (forward = 2 matmul_params + 4 L T d for scores and mixing)
  double weight_bytes = 0;        ///< fp32 weights
  double gradient_bytes = 0;      ///< fp32 gradients
  double optimizer_bytes = 0;     ///< AdamW's two moments
  double activation_bytes = 0;    ///< one micro-batch's saved activations, logits included, no score matrices
  double score_bytes = 0;         ///< one micro-batch's [B, H, T, T] tensors in every layer, where a form materialises them
  double kv_bytes_per_sequence = 0;  ///< a full KV cache at model.ctx, for decoding

  /// Weights, gradients, optimizer and activations: what any mixer needs (softmax trains without
  /// [T, T] scores on CPU and GPU).
  double required_bytes() const { return weight_bytes + gradient_bytes + optimizer_bytes + activation_bytes; }
};

/// The estimate for `model` (vocab_size set) with `params` trainable parameters, training on
/// `batch_size` sequences of `seq_len` tokens in `micro_batches` passes.
TrainingEstimate estimate_training(const ModelOptions& model, int64_t params, int64_t batch_size, int64_t micro_batches,
                                   int64_t seq_len);

/// The plan as printed by `attnlab plan`; `peak_flops` (FLOP/s) and `total_tokens` give the time.
std::string format_plan(const TrainingEstimate& estimate, double peak_flops, const std::string& peak_source,
                        int64_t total_tokens);

/// Memory this machine can give a new process (MemAvailable of /proc/meminfo), or 0 if unknown.
double available_memory_bytes();

}  // namespace attnlab
