#pragma once
/// RunReader: reads a run file (run.h5) written by RunStore, read-only.
/// Used by the report and the tests; every bad-input case is a one-line attnlab::UserError.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "results/schema.h"

namespace attnlab::results {

class RunReader {
 public:
  /// Opens `path` read-only. UserError "<path>: not an HDF5 file", "<path>: truncated or corrupt
  /// HDF5 file (...)", "<path>: not an attnlab run file", "<path>: schema version 3, this attnlab reads 1".
  explicit RunReader(const std::string& path);
  RunReader(RunReader&&) noexcept;
  RunReader& operator=(RunReader&&) noexcept;
  ~RunReader();

  const std::string& path() const;

  /// A root attribute; nullopt when absent.
  std::optional<Value> attribute(const std::string& name) const;
  /// A root string attribute, or `fallback` when absent or not a string.
  std::string string_attribute(const std::string& name, const std::string& fallback = "") const;
  /// A root integer attribute, or `fallback` when absent or not an integer.
  int64_t int_attribute(const std::string& name, int64_t fallback = 0) const;
  /// Names of all root attributes.
  std::vector<std::string> attribute_names() const;

  /// Every table, as group paths in file order ("/eval", "/train", "/analysis/persistence", ...).
  std::vector<std::string> table_names() const;
  bool has_table(const std::string& group) const;
  /// The columns of a table (UserError for an unknown table, with the closest name).
  std::vector<Column> columns(const std::string& group) const;
  /// Rows of a table (the shortest column, should a flush have been cut short).
  size_t rows(const std::string& group) const;

  /// A numeric column as doubles (int64 columns converted).
  std::vector<double> doubles(const std::string& group, const std::string& column) const;
  /// An int64 column (UserError for another type).
  std::vector<int64_t> ints(const std::string& group, const std::string& column) const;
  /// A string column (UserError for another type).
  std::vector<std::string> strings(const std::string& group, const std::string& column) const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace attnlab::results
