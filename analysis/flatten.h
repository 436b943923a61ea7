#pragma once
/// Flattening a YAML document to dotted keys ("model.d_model" -> "128"), for comparing run configs.

#include <string>
#include <utility>
#include <vector>

namespace attnlab::analysis {

/// Dotted key and scalar text, in document order.
using FlatConfig = std::vector<std::pair<std::string, std::string>>;

/// Flattens maps to dotted keys; a sequence becomes one value in flow style ("[0, 3]"); null is "null".
/// Empty text gives an empty list; malformed YAML throws attnlab::UserError naming `source`.
FlatConfig flatten_yaml(const std::string& text, const std::string& source);

/// The value of `key`, or nullptr.
const std::string* find_value(const FlatConfig& config, const std::string& key);

}  // namespace attnlab::analysis
