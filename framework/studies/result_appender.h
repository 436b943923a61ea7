#pragma once
/// Appending analysis rows (/eval_budget, /analysis/persistence) to an existing run's run.h5.
/// RunStore::open marks a run as running (it exists to resume training); an appender restores the
/// run's status, error and finish time at every flush, so a completed run stays completed.

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "results/run_store.h"

namespace attnlab {

class ResultAppender {
 public:
  /// Opens `run_dir`/run.h5 (UserError when the run has none).
  explicit ResultAppender(const std::filesystem::path& run_dir);

  /// The opened store: define tables and append rows with it.
  results::RunStore& store() { return store_; }
  /// Restores the saved status attributes and flushes (rows survive a kill from here on).
  void flush();
  /// Path of the file.
  const std::string& path() const { return store_.path(); }

 private:
  std::vector<std::pair<std::string, std::string>> status_;  // status, error, finished_at as found
  results::RunStore store_;
};

}  // namespace attnlab
