#pragma once
/// A trained run opened for inference (`attnlab eval`, `generate`, `analyze`): its saved config,
/// its data and tokenizer, and the model with the weights of its latest checkpoint.

#include <filesystem>
#include <string>
#include <utility>

#include "config/node.h"
#include "data/dataset.h"
#include "data/token_data.h"
#include "model/transformer_lm.h"
#include "run/run_config.h"

namespace attnlab {

struct TrainedRun {
  std::filesystem::path dir;
  RunConfig config;                ///< the run's config (with the command's eval/device overrides)
  data::TokenData data;            ///< a text run's corpus and tokenizer (empty for a probe task)
  std::shared_ptr<data::Dataset> task;  ///< a probe-task run's data (null for text)
  TransformerLM model{nullptr};    ///< in eval mode, on `device`
  std::string device;              ///< resolved: cpu | cuda
  int64_t step = 0;                ///< optimizer steps of the checkpoint

  /// `dir`/config.yaml as saved by the run. UserError "<dir>: no such run directory" or
  /// "<dir>: not a run directory (no config.yaml)".
  static cfg::Node read_config(const std::filesystem::path& dir);

  /// Prepares data and tokenizer, builds the model of `config` and loads `dir`/checkpoint.pt.
  /// UserError (one line) for a missing checkpoint or one of another architecture, and for a
  /// probe-task run unless `allow_task` (`attnlab eval` and `analyze persistence` read tasks;
  /// generate and analyze pruning need a tokenizer).
  static TrainedRun load(const std::filesystem::path& dir, const RunConfig& config, bool allow_task = false);

  /// Tokens per validation window: a task's L, else train.seq_len, or model.ctx when 0.
  int64_t seq_len() const;
  /// The run's fixed validation windows x, y [N, seq_len] (N <= max_windows), on `device`.
  std::pair<torch::Tensor, torch::Tensor> validation_windows(int64_t max_windows) const;
  /// What the run is scored on, on `device`: its validation windows, or a task's whole test set
  /// (with labels; max_windows does not cut it, so that accuracies compare with /eval).
  data::EvalSet eval_set(int64_t max_windows) const;
};

}  // namespace attnlab
