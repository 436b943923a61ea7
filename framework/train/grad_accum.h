#pragma once
/// The forward and backward pass of one optimizer step, over the global batch in micro-batches
/// (`train.grad_accum`). The gradients equal one pass over the whole batch: each micro-batch's
/// summed token loss is divided by the batch's count of trained tokens, so micro-batches with
/// different numbers of scored positions (probe tasks) weigh exactly as in one pass. Buffers a
/// training forward updates (dcp's alpha schedule counts steps) advance once per step.

#include <torch/types.h>

#include "model/transformer_lm.h"
#include "train/autocast_scope.h"

namespace attnlab {

struct StepLoss {
  torch::Tensor loss;       ///< [] the mean next-token loss over the batch's trained tokens
  torch::Tensor objective;  ///< [] loss plus the mixers' auxiliary loss (what was differentiated)
};

/// Accumulates d(objective)/d(parameters) into `.grad` (zeroed first) over `micro_batches`
/// equal row chunks of x, y [B, T] (y: kIgnore where not trained). 1 is today's single pass,
/// bit for bit. B must be a multiple of micro_batches (TrainOptions checks it).
StepLoss forward_backward(TransformerLM& model, const torch::Tensor& x, const torch::Tensor& y, int64_t micro_batches,
                          Precision precision, const torch::Device& device);

}  // namespace attnlab
