#pragma once
/// The training loop: AdamW, warm-up + cosine LR, gradient clipping, periodic evaluation,
/// checkpoints, rows to run.h5. Data order is a function of (seed, step), so a resumed run
/// sees exactly the batches an uninterrupted one would.

#include <torch/optim/adamw.h>

#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "data/dataset.h"
#include "data/token_data.h"
#include "model/transformer_lm.h"
#include "train/autocast_scope.h"
#include "train/data_parallel.h"
#include "train/eval_recorder.h"
#include "train/evaluator.h"
#include "train/lr_schedule.h"
#include "train/train_options.h"

namespace attnlab {

namespace results {
class RunStore;
}
class RunLog;

class Trainer {
 public:
  /// `run_dir` receives checkpoints (checkpoint.pt); `store` and `log` belong to the run.
  Trainer(TransformerLM model, std::shared_ptr<const data::Dataset> data, TrainOptions train, EvalOptions eval,
          uint64_t seed, std::filesystem::path run_dir, results::RunStore& store, RunLog& log, std::string config_yaml);
  /// Trains on a text corpus's token streams (`data` must outlive the trainer).
  Trainer(TransformerLM model, const data::TokenData& data, TrainOptions train, EvalOptions eval, uint64_t seed,
          std::filesystem::path run_dir, results::RunStore& store, RunLog& log, std::string config_yaml);

  /// Restores model, optimizer, RNG and step from a checkpoint; training continues after it.
  void resume_from(const std::string& checkpoint_path);

  /// Trains from the current step to train.steps, evaluating every eval_every steps and at the end,
  /// then writes the final checkpoint. Returns the last validation result.
  EvalResult run();

  /// Trains data-parallel (train/data_parallel.h): this rank runs its slice of every batch and the
  /// gradients are summed over the ranks. Only rank 0 evaluates, writes rows and checkpoints; the
  /// others pass a store and log nobody reads. Set before run().
  void set_data_parallel(std::shared_ptr<DataParallel> group);

  /// Calls `hook(step)` after every optimizer step (or skipped step), before its row is logged:
  /// for callbacks that watch or change the model (tests inject faults with it).
  void on_step_end(std::function<void(int64_t step)> hook) { step_end_hook_ = std::move(hook); }

  /// One validation pass, written to the store (train/eval_recorder.h); a hybrid with
  /// eval.skip_layers = nonstandard is also evaluated without its non-standard layers.
  EvalResult evaluate_and_record();

  int64_t step() const { return step_; }
  int64_t seq_len() const { return seq_len_; }
  TransformerLM& model() { return model_; }
  torch::optim::AdamW& optimizer() { return *optimizer_; }

  /// Path of the latest checkpoint in a run directory.
  static std::filesystem::path checkpoint_path(const std::filesystem::path& run_dir);

 private:
  struct StepResult {
    torch::Tensor loss;       ///< [] cross-entropy (without the mixers' aux loss)
    torch::Tensor grad_norm;  ///< [] global gradient norm before clipping
    bool skipped = false;     ///< non-finite, update dropped (on_nonfinite=skip)
  };
  /// One optimizer step on the batch of `step_`. A NaN/Inf loss or gradient (one host sync per
  /// step) throws, or with on_nonfinite=skip leaves the weights as they were and records the step
  /// in /nonfinite.
  StepResult train_step(double lr);
  /// Handles a non-finite step of batch `x` [B, T]: throws (stop, or too many skips) or records it.
  void on_nonfinite(const torch::Tensor& x, const torch::Tensor& objective);
  /// "; the last good checkpoint is <path> (step N)" or "; no checkpoint was written yet".
  std::string last_checkpoint_note() const;
  void save(const std::filesystem::path& path);
  /// Rank 0 of a data-parallel run, or the only process: the one that evaluates and writes.
  bool writes() const { return !group_ || group_->rank() == 0; }

  TransformerLM model_;
  std::shared_ptr<const data::Dataset> data_;
  TrainOptions train_;
  EvalOptions eval_;
  uint64_t seed_;
  std::filesystem::path run_dir_;
  results::RunStore& store_;
  RunLog& log_;
  std::string config_yaml_;
  int64_t seq_len_;
  LrSchedule schedule_;
  std::unique_ptr<torch::optim::AdamW> optimizer_;
  std::vector<torch::Tensor> parameters_;
  Precision precision_;
  torch::Device device_{torch::kCPU};
  data::EvalSet eval_set_;  // fixed validation windows or a task's test set
  EvalRecorder recorder_;
  int64_t step_ = 0;
  int64_t tokens_ = 0;
  int64_t skipped_steps_ = 0;              // on_nonfinite=skip: steps whose update was dropped
  std::filesystem::path last_checkpoint_;  // the latest checkpoint written or resumed from
  int64_t last_checkpoint_step_ = 0;
  std::function<void(int64_t)> step_end_hook_;
  std::shared_ptr<DataParallel> group_;  // null: one process
  std::unique_ptr<GradientReducer> reducer_;  // with group_: sums gradients during the backward pass
};

}  // namespace attnlab
