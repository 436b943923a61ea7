#pragma once
/// Reading YAML text into a config Node tree (on yaml-cpp), keeping the file:line:col of
/// every value. Every malformed-YAML problem is a one-line attnlab::UserError with location.

#include <string>

#include "config/node.h"

namespace attnlab::cfg {

/// Reads and parses a YAML file. Missing file → UserError "config file not found: <path>".
Node load_yaml_file(const std::string& path);

/// Parses YAML text; `source_name` is the file name used in locations and errors.
/// Quoted scalars stay strings (Node::quoted()); aliases are resolved by copy and `<<` merge
/// keys are applied. Rejected with a located error: tabs used for indentation, duplicate keys,
/// bad indentation, unterminated quotes or brackets, non-scalar keys, custom tags, several
/// documents in one file.
Node parse_yaml(const std::string& text, const std::string& source_name);

/// Parses one inline YAML value, such as an override's "[1, {a: x}]", with the same reader.
/// An empty flow entry ("[1,,2]") is an error here. Errors are UserError with the reason only
/// (no location: the caller names the override).
Node parse_inline_yaml(const std::string& text);

}  // namespace attnlab::cfg
