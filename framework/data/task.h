#pragma once
/// Probe tasks: synthetic sequences in which token mixing decides the answer (MQAR, the MAD suite,
/// induction, passkey). A task is a variant: it lives in variants/tasks/, is registered with one
/// line (register_builtin_tasks) and is chosen by `data.task.name`; data=<task> presets are in
/// configs/data/. It generates one example from a TaskRng; the framework keys that RNG by
/// (data.task.seed, split, index), so the same config gives the same examples on every machine.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "config/map_reader.h"
#include "core/registry.h"
#include "data/corpus.h"
#include "data/task_rng.h"

namespace attnlab::data {

/// The label of a position that is not scored (PyTorch's ignore_index).
inline constexpr int32_t kIgnore = -100;

/// One example of L positions. The model reads `inputs`; a scored position t has the answer
/// labels[t] (to be predicted at t, as in Zoology: the answer need not be inputs[t + 1]).
/// Positions that are not scored carry kIgnore.
struct TaskExample {
  std::vector<int32_t> inputs;  ///< [L] token ids in [0, vocab_size)
  std::vector<int32_t> labels;  ///< [L] the answer at a scored position, kIgnore elsewhere
  std::vector<int32_t> slices;  ///< [L] slice index (Task::slice_names()) of a scored position, -1 elsewhere; empty: no slices
};

/// Everything a task's factory may read.
struct TaskContext {
  const cfg::Node& options;   ///< the `data.task` map: the task's own keys plus the common ones
  uint64_t seed = 0;          ///< data.task.seed: fixes the task's examples (and any fixed map, e.g. memorization's)
  const DataOptions& data;    ///< the data group, for tasks built on a corpus (induction, passkey)

  /// A strict reader of `data.task` that already knows the common keys (name, seed, loss, ...):
  /// a task reads its own options with it and calls finish().
  cfg::MapReader reader() const;
  /// Throws a UserError "<file:line>: data.task.<key>: <message>" at `key` (or at the map).
  [[noreturn]] void fail(const std::string& key, const std::string& message) const;
};

class Task {
 public:
  virtual ~Task() = default;
  /// Token ids are in [0, vocab_size()).
  virtual int64_t vocab_size() const = 0;
  /// L: positions per example.
  virtual int64_t seq_len() const = 0;
  /// One example. Deterministic in `rng`: all randomness comes from it.
  virtual TaskExample generate(TaskRng& rng) const = 0;
  /// Names of the slices of scored positions (e.g. MQAR's query-distance buckets); empty when none.
  virtual std::vector<std::string> slice_names() const { return {}; }
  /// The accuracy a model reaches by guessing (for tables), e.g. 1 / number of possible values.
  virtual double chance_accuracy() const = 0;
  /// One line for the run log: the settings that matter.
  virtual std::string summary() const = 0;
};

using TaskFactory = std::function<std::shared_ptr<Task>(const TaskContext&)>;

/// The task registry (filled by register_builtin_tasks(), or by a user's project).
Registry<TaskFactory>& task_registry();

}  // namespace attnlab::data
