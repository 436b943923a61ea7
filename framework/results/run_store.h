#pragma once
/// RunStore: writes one run's numbers to its HDF5 file (run.h5), incrementally and crash-safely.
///
/// Rows passed to append() are buffered in memory; flush() writes them to the extendable, chunked
/// column datasets and calls H5Fflush. Between flushes the file on disk is not touched, so a process
/// killed at any moment (kill -9) outside a flush leaves a file that h5py opens, with status
/// `running` and every row up to the last flush intact. The layout is docs/results-schema.md.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "results/schema.h"

namespace attnlab::results {

/// Attributes written on "/" at creation. Empty strings are written as empty strings, except
/// git_sha (defaults to the commit attnlab was built from) and started_at (defaults to now).
struct RunInfo {
  std::string config_yaml;     ///< the fully resolved config, YAML
  std::string overrides_yaml;  ///< the command-line / sweep overrides of this run, YAML
  std::string git_sha;         ///< commit of the build
  std::string torch_version;   ///< LibTorch version, e.g. "2.3.1"
  std::string threads;         ///< thread settings, e.g. "intra=8 inter=1"
  std::string started_at;      ///< ISO 8601 UTC
  int64_t seed = 0;
  int64_t n_params = 0;        ///< trainable parameters (set later with set_attribute when unknown)
};

class RunStore {
 public:
  /// Creates `path` (UserError if it exists or cannot be created), writes the root attributes
  /// (attnlab_version, schema_version, status=running, ...) and the standard tables /train and /eval.
  static RunStore create(const std::string& path, const RunInfo& info);
  /// Opens an existing run file for appending (resume). Status goes back to running; tables are
  /// trimmed to their shortest column should a flush have been interrupted.
  static RunStore open(const std::string& path);

  RunStore(RunStore&&) noexcept;
  RunStore& operator=(RunStore&&) noexcept;
  RunStore(const RunStore&) = delete;
  RunStore& operator=(const RunStore&) = delete;
  /// Writes buffered rows and closes the file; the status is left as it is.
  ~RunStore();

  /// Defines a table, a group with one extendable 1-D dataset per column, e.g. "/eval_budget",
  /// "/analysis/mixer_stats", "/analysis/persistence" (parent groups are created). A no-op when the table exists
  /// with the same columns; std::invalid_argument when it exists with other columns.
  void define_table(const std::string& group_path, const std::vector<Column>& columns);
  /// Buffers one row; values in column order. An int64 is accepted for a float64 column; any other
  /// mismatch, a wrong count or an undefined table throws std::invalid_argument.
  void append(const std::string& group_path, const std::vector<Value>& row);
  /// Writes (or replaces) a scalar attribute on "/" (written to disk at the next flush).
  void set_attribute(const std::string& name, const Value& value);
  /// A scalar attribute on "/" (as last written), or nullopt when absent.
  std::optional<Value> attribute(const std::string& name) const;
  /// Writes buffered rows and calls H5Fflush: everything so far survives a kill -9.
  void flush();
  /// status=completed, finished_at=now, flush.
  void mark_completed();
  /// status=failed, error=`error`, finished_at=now, flush.
  void mark_failed(const std::string& error);

  /// Drops the rows of every table with an int64 `step` column whose step is after `step`, on
  /// disk and buffered (rows are appended in step order). A resumed run calls it with its
  /// checkpoint's step, so the rows a killed process logged after that checkpoint are replaced by
  /// the resumed run's rather than duplicated. Returns the number of rows dropped.
  size_t discard_rows_after(int64_t step);

  /// Path of the file.
  const std::string& path() const;
  /// Rows of a table, written plus buffered.
  size_t rows(const std::string& group_path) const;
  /// Columns of a table (std::invalid_argument when it is not defined).
  const std::vector<Column>& columns(const std::string& group_path) const;
  /// Whether the table is defined (in this session or in the file opened).
  bool has_table(const std::string& group_path) const;

 private:
  struct State;
  explicit RunStore(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace attnlab::results
