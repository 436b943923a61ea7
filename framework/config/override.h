#pragma once
/// The command-line override grammar (Hydra subset):
///   key=value      set an existing key, or select a group option (`mixer=taylor`)
///   +key=value     add a key that must not exist yet
///   ++key=value    add or set
///   ~key, ~key=v   delete a key (the value, when given, must match)
/// Keys are dotted paths ("train.lr", "a.0.b"). Values: plain scalars (typed like YAML), null,
/// quoted strings ('x' or "x", with \' \" \\ \n \t escapes), and lists [1,[2,3]] and maps
/// {a: 1, b: x} read by yaml-cpp as YAML flow values (inside them 'it''s' is YAML's quoting, as
/// in a config file). Sweeps (multirun): a top-level comma list `a=1,2,3` (commas inside quotes,
/// brackets or ${...} don't split) or `range(start,stop[,step])`.

#include <string>
#include <vector>

#include "config/node.h"

namespace attnlab::cfg {

/// One parsed override.
struct Override {
  enum class Kind { Set, Add, ForceAdd, Delete };

  Kind kind = Kind::Set;
  std::string text;               ///< as typed: "+train.lr=3e-4"
  std::string key;                ///< "train.lr" (or a group name: "mixer")
  bool has_value = false;         ///< false only for a bare "~key"
  std::string value_text;         ///< raw text after '=' ("softmax,taylor")
  Node value;                     ///< parsed value; Null when absent or a sweep
  std::vector<std::string> sweep; ///< one value text per sweep element; empty when not a sweep

  bool is_sweep() const { return !sweep.empty(); }
  /// "", "+", "++" or "~".
  const char* prefix() const;
  /// This override with another value: with_value("3") on "+a=1,2" → "+a=3".
  std::string with_value(const std::string& value_text) const;
};

/// Parses one override. Malformed → UserError "command line: bad override 'a..b=1': empty key segment";
/// `origin` replaces "command line" for overrides written elsewhere (a sweep block: "x.yaml:5:9").
Override parse_override(const std::string& text, const std::string& origin = "command line");

/// Parses a single override value ("[1,2]", "'x,y'", "{a: 1}", "null", "3"); a top-level comma
/// or range() is an error here. `context` names the value in errors.
Node parse_override_value(const std::string& text, const std::string& context);

/// Renders a node as an override value that parse_override_value reads back to an equal node
/// (flow style, quoting only when needed): "softmax", "3", "'1'", "[1,2]", "{a: 1}", "null".
std::string to_override_value(const Node& node);

}  // namespace attnlab::cfg
