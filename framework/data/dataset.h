#pragma once
/// Dataset: what a run trains and evaluates on, either a text corpus's token streams or a probe
/// task's generated examples. The trainer and the evaluator see only this interface.

#include <torch/torch.h>

#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "data/task.h"
#include "data/token_data.h"

namespace attnlab::data {

/// A fixed evaluation set.
struct EvalSet {
  torch::Tensor x;       ///< [N, T] inputs
  torch::Tensor y;       ///< [N, T] loss targets (kIgnore where the loss does not look)
  torch::Tensor labels;  ///< [N, T] answers at scored positions, kIgnore elsewhere; undefined for text
  torch::Tensor slices;  ///< [N, T] slice of a scored position, -1 elsewhere; undefined when the task has no slices
  std::vector<std::string> slice_names;
  torch::Tensor ar_hits;  ///< [N, T] bool, text only: the target completes a bigram seen earlier in its window
  double chars_per_token = 1.0;  ///< converts the loss per token to bits per character (1 for tasks)
};

class Dataset {
 public:
  virtual ~Dataset() = default;
  virtual int64_t vocab_size() const = 0;
  /// The length every sequence must have (a task's L), or 0 when the run chooses (text windows).
  virtual int64_t fixed_seq_len() const = 0;
  /// The training batch of `step`: x, y [B, T] int64 (y: kIgnore where not trained on).
  /// Deterministic in (seed, step), so a resumed run sees exactly the same batches.
  virtual std::pair<torch::Tensor, torch::Tensor> train_batch(int64_t batch, int64_t seq_len, uint64_t seed,
                                                              int64_t step) const = 0;
  /// The evaluation set (text: up to max_windows validation windows; a task: its whole test set).
  virtual EvalSet eval_set(int64_t seq_len, int64_t max_windows) const = 0;
  /// The first n tokens of the training data (the training split; a task's training examples
  /// end to end), for Q/K sources that read a fixed stream. UserError when there are fewer.
  virtual std::vector<int64_t> train_prefix(int64_t n) const = 0;
  /// A task's accuracy by guessing; NaN for text.
  virtual double chance_accuracy() const { return std::numeric_limits<double>::quiet_NaN(); }
  /// One line for the run log.
  virtual std::string summary() const = 0;
};

/// A text corpus: random training windows, evenly spaced validation windows (data/batcher.h).
/// Holds a reference: `tokens` must outlive the dataset.
std::shared_ptr<Dataset> text_dataset(const TokenData& tokens);

/// The options of `data.task` that every task shares.
struct TaskOptions {
  std::string name;             ///< the registered task
  uint64_t seed = 0;            ///< fixes the examples (train and test); the run's seed fixes the order
  std::string loss = "answers";  ///< answers: loss at scored positions (Zoology) | all: every next token (MAD)
  int64_t train_examples = 20000;  ///< distinct training examples, cycled; 0: a fresh example every time
  int64_t test_examples = 1000;    ///< the fixed test set

  static TaskOptions from_config(const cfg::Node& node);
};

/// A probe task's examples: the test set (generated first) and the training set, generated
/// from (data.task.seed, split, index); a training example equal to a test example is redrawn,
/// so the two are disjoint.
class TaskDataset : public Dataset {
 public:
  /// Builds the task from `data.task` (UserError naming the key for bad options) and generates its sets.
  static std::shared_ptr<TaskDataset> create(const DataOptions& data);
  TaskDataset(std::shared_ptr<Task> task, TaskOptions options);

  int64_t vocab_size() const override { return task_->vocab_size(); }
  int64_t fixed_seq_len() const override { return task_->seq_len(); }
  std::pair<torch::Tensor, torch::Tensor> train_batch(int64_t batch, int64_t seq_len, uint64_t seed,
                                                      int64_t step) const override;
  EvalSet eval_set(int64_t seq_len, int64_t max_windows) const override;
  std::vector<int64_t> train_prefix(int64_t n) const override;
  double chance_accuracy() const override { return task_->chance_accuracy(); }
  std::string summary() const override;

  const Task& task() const { return *task_; }
  const TaskOptions& options() const { return options_; }
  /// Example `index` of a split (0 = train, 1 = test), as the dataset holds or would generate it.
  TaskExample example(int split, int64_t index) const;
  /// Training examples redrawn because they equalled a test example.
  int64_t redrawn() const { return redrawn_; }

 private:
  std::shared_ptr<Task> task_;
  TaskOptions options_;
  std::vector<TaskExample> test_, train_;
  std::vector<uint64_t> test_hashes_;  // sorted
  int64_t redrawn_ = 0;
  TaskExample draw_train(int64_t index, int64_t* redrawn) const;
};

/// The dataset of a run: a task when `data.task` is set, else the corpus `tokens` (kept alive by the caller).
std::shared_ptr<Dataset> make_dataset(const DataOptions& data, const TokenData* tokens);

}  // namespace attnlab::data
