#pragma once
/// The config tree: an ordered YAML-like node with the source location of every value.
/// Torch-free; the base of composition, overrides, interpolation and typed reading.

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

namespace attnlab::cfg {

/// Where a value came from, for error messages.
struct Source {
  std::string file;  ///< path as given, "command line", or "" when synthesised
  int line = 0;      ///< 1-based; 0 = unknown
  int column = 0;    ///< 1-based; 0 = unknown
  /// "configs/model/tiny.yaml:3:5", "command line", or "<generated>".
  std::string str() const;
};

/// One node of a config tree. Maps keep insertion order (printing is deterministic).
/// Scalars keep their text; typed access parses it (see MapReader).
class Node {
 public:
  enum class Kind { Null, Scalar, Sequence, Map };

  Node() = default;
  static Node null(Source source = {});
  static Node scalar(std::string text, Source source = {}, bool quoted = false);
  static Node sequence(Source source = {});
  static Node map(Source source = {});

  Kind kind() const { return kind_; }
  bool is_null() const { return kind_ == Kind::Null; }
  bool is_scalar() const { return kind_ == Kind::Scalar; }
  bool is_sequence() const { return kind_ == Kind::Sequence; }
  bool is_map() const { return kind_ == Kind::Map; }
  /// "null", "scalar", "list", "map": for error messages.
  const char* kind_name() const;

  const Source& source() const { return source_; }
  void set_source(Source source) { source_ = std::move(source); }

  /// Scalar text (throws std::logic_error if not a scalar).
  const std::string& text() const;
  /// True when the scalar was quoted in YAML (so "1" stays a string).
  bool quoted() const { return quoted_; }

  // --- maps ---
  /// Keys in insertion order (empty if not a map).
  std::vector<std::string> keys() const;
  bool has(const std::string& key) const;
  /// Child by key, nullptr if absent or not a map.
  const Node* find(const std::string& key) const;
  Node* find(const std::string& key);
  /// Child by key, inserted as Null at the end when absent. Turns a Null node into a Map.
  Node& operator[](const std::string& key);
  /// Removes a key; returns false if it was absent.
  bool erase(const std::string& key);
  const std::vector<std::pair<std::string, Node>>& entries() const { return map_; }
  std::vector<std::pair<std::string, Node>>& entries() { return map_; }

  // --- sequences ---
  size_t size() const;  ///< items of a sequence, entries of a map, 0 otherwise
  const Node& at(size_t index) const;
  void push_back(Node item);
  const std::vector<Node>& items() const { return seq_; }
  std::vector<Node>& items() { return seq_; }

  // --- dotted paths ("model.d_model"; list items by index: "a.0.b") ---
  const Node* find_path(const std::string& dotted) const;
  Node* find_path(const std::string& dotted);

  /// Deep merge: maps merge key by key (other wins), anything else is replaced by `other`.
  void merge(const Node& other);

  /// Block-style YAML, deterministic, re-parseable to an equal tree.
  std::string to_yaml() const;

  /// Structural equality (kinds, keys in order, scalar texts); ignores sources.
  bool operator==(const Node& other) const;
  bool operator!=(const Node& other) const { return !(*this == other); }

 private:
  Kind kind_ = Kind::Null;
  Source source_;
  std::string text_;
  bool quoted_ = false;
  std::vector<std::pair<std::string, Node>> map_;
  std::vector<Node> seq_;
};

/// Splits "a.b.c" into {"a","b","c"}.
std::vector<std::string> split_path(const std::string& dotted);

}  // namespace attnlab::cfg
