#pragma once
/// What one validation pass writes: the /eval row of each split, /eval_slices for a task with
/// slices, each layer's logit scale and mixer statistics, and the console lines. The recorder
/// knows no statistic by name: a mixer's scalars go to /analysis/mixer_stats as they come.

#include <cstdint>
#include <string>
#include <vector>

#include "train/evaluator.h"

namespace attnlab {

namespace results {
class RunStore;
}
class RunLog;

class EvalRecorder {
 public:
  /// Defines the tables (a no-op for those a resumed file has). `slice_names`: the eval set's.
  EvalRecorder(results::RunStore& store, RunLog& log, std::vector<std::string> slice_names);

  /// Writes one validation pass at `step`: the rows of split "val" from `val` and, for a hybrid,
  /// of split "val_skip" from `skip` (or null); then flushes the file and prints the lines, so a
  /// logged evaluation is always on disk.
  void record(int64_t step, const EvalResult& val, const EvalResult* skip);

 private:
  results::RunStore& store_;
  RunLog& log_;
  /// The /eval row (and /eval_slices rows) of `split`.
  void record_split(int64_t step, const std::string& split, const EvalResult& r);
  /// Per layer: /analysis/logit_scale and /analysis/mixer_stats rows, with a row for all layers
  /// together (layer results::kAllLayers, the mean of the layers that report the statistic).
  /// Returns the console line of the statistics ("" without any).
  std::string record_layers(int64_t step, const EvalResult& r);

  std::vector<std::string> slice_names_;
  size_t eval_columns_;  // /eval columns of the run file: fewer for a resumed file from before some
};

}  // namespace attnlab
