#pragma once
/// Checkpoints: model, optimizer, step, RNG state and the resolved config, in one LibTorch archive.
/// Written to a temporary file and renamed, so a checkpoint on disk is always complete.

#include <torch/optim/optimizer.h>

#include <string>

#include "model/transformer_lm.h"

namespace attnlab {

struct CheckpointMeta {
  int64_t step = 0;         ///< optimizer steps completed
  int64_t tokens = 0;       ///< training tokens seen
  std::string config_yaml;  ///< the fully resolved config the run was started with
};

/// Saves to `path` atomically (temp file + rename). `optimizer` may be null (weights only).
void save_checkpoint(const std::string& path, TransformerLM& model, torch::optim::Optimizer* optimizer,
                     const CheckpointMeta& meta);

/// Loads into an already built `model` (and `optimizer` unless null) and restores the CPU RNG.
/// UserError (one line) for a missing, truncated or foreign file, or a checkpoint of another
/// architecture (names the first parameter whose shape or presence differs).
CheckpointMeta load_checkpoint(const std::string& path, TransformerLM& model, torch::optim::Optimizer* optimizer);

/// Reads only the metadata (to rebuild the model from its config before loading weights).
CheckpointMeta read_checkpoint_meta(const std::string& path);

}  // namespace attnlab
