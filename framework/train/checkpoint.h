#pragma once
/// Checkpoints: model, optimizer, step, RNG state and the resolved config, in one LibTorch archive.
/// Written to a temporary file and renamed, so a checkpoint on disk is always complete.

#include <torch/optim/optimizer.h>
#include <torch/serialize/input-archive.h>

#include <string>
#include <vector>

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

/// A checkpoint opened to read single tensors by name (warm starts, analyses).
class CheckpointReader {
 public:
  /// UserError (one line) for a missing, truncated or foreign file.
  explicit CheckpointReader(const std::string& path);
  const std::string& path() const { return path_; }
  const CheckpointMeta& meta() const { return meta_; }
  /// The parameter stored under `name`, or an undefined tensor.
  torch::Tensor parameter(const std::string& name);
  /// The buffer stored under `name`, or an undefined tensor.
  torch::Tensor buffer(const std::string& name);
  /// Names of the stored parameters in model order (empty for checkpoints without the list).
  std::vector<std::string> parameter_names();

 private:
  std::string path_;
  torch::serialize::InputArchive archive_;
  CheckpointMeta meta_;
};

/// Reads only the metadata (to rebuild the model from its config before loading weights).
CheckpointMeta read_checkpoint_meta(const std::string& path);

}  // namespace attnlab
