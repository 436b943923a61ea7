#pragma once
/// The forward and backward pass of one optimizer step, over the global batch in micro-batches
/// (`train.grad_accum`). The gradients equal one pass over the whole batch: each micro-batch's
/// summed token loss is divided by the batch's count of trained tokens, so micro-batches with
/// different numbers of scored positions (probe tasks) weigh exactly as in one pass. Buffers a
/// training forward updates (dcp's alpha schedule counts steps) advance once per step.

#include <torch/types.h>

#include "model/transformer_lm.h"
#include "train/data_parallel.h"
#include "train/autocast_scope.h"

namespace attnlab {

struct StepLoss {
  torch::Tensor loss;       ///< [] the mean next-token loss over the batch's trained tokens
  torch::Tensor objective;  ///< [] loss plus the mixers' auxiliary loss (what was differentiated)
};

/// This rank's rows of a data-parallel step: shard `index` of `count` equal row chunks.
struct Shard {
  int64_t index = 0;
  int64_t count = 1;
};

/// Accumulates d(objective)/d(parameters) into `.grad` (zeroed first) over `micro_batches`
/// equal row chunks of x, y [B, T] (y: kIgnore where not trained). 1 is today's single pass,
/// bit for bit. B must be a multiple of micro_batches (TrainOptions checks it).
/// With `shard.count` > 1 only the shard's rows are run (each in `micro_batches` chunks), still
/// normalised by the whole batch's trained tokens: the loss, the objective and the gradients
/// are this shard's share, and their sum over the shards is the whole batch's.
/// `reducer` (data-parallel): armed for the last micro-batch's backward, so the ranks' gradients
/// are summed while it runs; the caller then calls reducer->finish().
StepLoss forward_backward(TransformerLM& model, const torch::Tensor& x, const torch::Tensor& y, int64_t micro_batches,
                          Precision precision, const torch::Device& device, Shard shard = {},
                          GradientReducer* reducer = nullptr);

}  // namespace attnlab
