#pragma once
/// Strict, typed reading of one config map into a C++ options struct.
/// Every key must be asked for by some getter; finish() reports the first key nobody asked for.

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "config/node.h"

namespace attnlab::cfg {

/// Reads a map node at key path `path` (e.g. "model"). Errors are attnlab::UserError with one line:
///   "<file>:<line>:<col>: model.d_model: expected an integer, got 'abc'"
///   "<file>:<line>:<col>: unknown key 'model.d_modle' (did you mean 'd_model'?)"
/// A key that is absent or null yields the fallback.
class MapReader {
 public:
  /// `node` may be Null (treated as an empty map); any other non-map kind is an error.
  MapReader(const Node& node, std::string path);

  int64_t integer(const std::string& key, int64_t fallback);
  double number(const std::string& key, double fallback);  ///< accepts integers too
  bool boolean(const std::string& key, bool fallback);     ///< true/false (YAML 1.2 core)
  std::string string(const std::string& key, const std::string& fallback);
  std::optional<std::string> optional_string(const std::string& key);
  std::vector<int64_t> integer_list(const std::string& key, const std::vector<int64_t>& fallback);
  /// A string or a list of strings, as a list (absent or null: empty).
  std::vector<std::string> strings(const std::string& key);
  /// A string that must be one of `choices`; the error lists them and the closest match.
  std::string choice(const std::string& key, const std::string& fallback,
                     const std::vector<std::string>& choices);
  /// Marks `key` as consumed and returns it (nullptr if absent). For nested sections.
  const Node* child(const std::string& key);
  /// Marks `key` as known without reading it.
  void ignore(const std::string& key);

  /// Throws UserError for the first key no getter asked for (with the closest asked-for key).
  void finish() const;

  /// "model.d_model".
  std::string key_path(const std::string& key) const;
  const std::string& path() const { return path_; }
  const Node& node() const { return node_; }

 private:
  const Node& node_;
  std::string path_;
  std::set<std::string> consumed_;
  std::vector<std::string> known_;  // every key asked for, in order (for did-you-mean)
};

/// "<file>:<line>:<col>: <message>" (or just message when the source is unknown), as a UserError.
[[noreturn]] void fail_at(const Source& source, const std::string& message);

}  // namespace attnlab::cfg
